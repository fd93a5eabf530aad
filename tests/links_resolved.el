;;; links_resolved.el --- each file link of the files given, as Org resolves it  -*- lexical-binding: t -*-
;; Prints "TYPE ABSOLUTE-PATH EXISTS" for each link whose type begins with "file"
;; (tests/test_rollover_own.py): the path expanded from the file's own folder. Then
;; (tests/test_rollover_eleventh.py) what the file's #+SETUPFILE and #+INCLUDE keywords
;; bring in, by Org's own code: "setup TITLE" for each #+TITLE that
;; org-collect-keywords finds (it follows SETUPFILE), and "include LINE" for each line
;; beginning "INCLUDED: " once org-export-expand-include-keyword has run.
(require 'org)
(require 'org-element)
(require 'ox)
(dolist (file command-line-args-left)
  (with-temp-buffer
    (insert-file-contents file)
    (setq default-directory (file-name-directory (expand-file-name file)))
    (org-mode)
    (org-element-map (org-element-parse-buffer) 'link
      (lambda (link)
        (let ((type (org-element-property :type link))
              (path (org-element-property :path link)))
          (when (string-prefix-p "file" type)
            (princ (format "%s %s %s\n" type (expand-file-name path)
                           (if (file-exists-p (expand-file-name path)) "t" "nil")))))))
    (dolist (title (cdr (assoc "TITLE" (org-collect-keywords '("TITLE")))))
      (princ (format "setup %s\n" title)))
    (condition-case err
        (org-export-expand-include-keyword)
      (error (princ (format "include-error %S\n" err))))
    (goto-char (point-min))
    (while (re-search-forward "^INCLUDED: \\(.*\\)$" nil t)
      (princ (format "include %s\n" (match-string 1))))))
(setq command-line-args-left nil)
