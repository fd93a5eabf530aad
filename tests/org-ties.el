;;; org-ties.el --- What Org ties together in each file: a judge for the rollover -*- lexical-binding: t -*-
;; For each file on the command line, one JSON object: `unresolved', the footnote
;; references, internal links, file links and macros Org cannot resolve in that file;
;; `wholes', each footnote definition, drawer, greater block and element with an
;; affiliated keyword as [TYPE, KEY, TEXT]; `captioned', the caption of each element
;; that has one, with the element's type; `radios', the text of each radio link
;; (a use of a radio target the file holds, lower-cased).  Used by tests/test_rollover_structure.py.
(require 'org)
(require 'org-element)
(require 'org-footnote)
(require 'org-macro)
(require 'org-inlinetask)
(require 'json)
(setq org-link-search-must-match-exact-headline t)
(let (out)
  (dolist (file command-line-args-left)
    (with-temp-buffer
      (insert-file-contents file)
      (setq default-directory (file-name-directory (expand-file-name file)))
      (org-mode)
      (org-macro-initialize-templates)
      (let ((tree (org-element-parse-buffer)) unresolved wholes captioned radios)
        (org-element-map tree '(footnote-reference link macro)
          (lambda (e)
            (pcase (org-element-type e)
              ('footnote-reference
               (let ((label (org-element-property :label e)))
                 (when (and label (eq (org-element-property :type e) 'standard)
                            (not (org-footnote-get-definition label)))
                   (push (format "footnote %s" label) unresolved))))
              ('macro
               (unless (assoc-string (org-element-property :key e) org-macro-templates t)
                 (push (format "macro %s" (org-element-property :key e)) unresolved)))
              ('link
               (let ((type (org-element-property :type e))
                     (path (org-element-property :path e)))
                 (cond
                  ((equal type "radio")  ; (a use of a radio target of this file)
                   (push (downcase (org-element-property :path e)) radios))
                  ((member type '("fuzzy" "custom-id" "coderef"))
                   (let ((target (pcase type ("custom-id" (concat "#" path))
                                         ("coderef" (format "(%s)" path)) (_ path))))
                     (unless (save-excursion
                               (condition-case nil (progn (org-link-search target) t)
                                 (error nil)))
                       (push (format "%s %s" type path) unresolved))))
                  ((equal type "file")
                   (unless (file-exists-p (expand-file-name path))
                     (push (format "file %s" path) unresolved)))))))))
        (org-element-map tree '(footnote-definition drawer quote-block center-block
                                special-block dynamic-block plain-list table src-block
                                example-block paragraph inlinetask)
          (lambda (e)
            (let ((type (org-element-type e))
                  (key (or (org-element-property :label e)
                           (org-element-property :drawer-name e)
                           (org-element-property :name e)))
                  (text (buffer-substring-no-properties
                         (org-element-property :begin e) (org-element-property :end e))))
              (when (org-element-property :caption e)
                (push (list (symbol-name type)
                            (org-element-interpret-data
                             (car (car (org-element-property :caption e)))))
                      captioned))
              (when (or (memq type '(footnote-definition drawer quote-block center-block
                                     special-block dynamic-block inlinetask))
                        (org-element-property :name e)
                        (org-element-property :caption e)
                        (org-element-property :results e)
                        (seq-some (lambda (p) (string-prefix-p ":attr_" (symbol-name p)))
                                  (seq-filter #'symbolp (nth 1 e))))
                (push (vector (symbol-name type) (or key "")
                              (string-trim-right text))
                      wholes)))))
        (push `((file . ,file) (unresolved . ,(vconcat (nreverse unresolved)))
                (wholes . ,(vconcat (nreverse wholes)))
                (captioned . ,(vconcat (nreverse captioned)))
                (radios . ,(vconcat (nreverse radios))))
              out))))
  (setq command-line-args-left nil)
  (princ (json-encode (nreverse out))))
