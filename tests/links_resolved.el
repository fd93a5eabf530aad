;;; links_resolved.el --- each file link of the files given, as Org resolves it  -*- lexical-binding: t -*-
;; Prints "TYPE ABSOLUTE-PATH EXISTS" for each link whose type begins with "file"
;; (tests/test_rollover_own.py): the path expanded from the file's own folder.
(require 'org)
(require 'org-element)
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
                           (if (file-exists-p (expand-file-name path)) "t" "nil")))))))))
(setq command-line-args-left nil)
