;;; org-relayout.el --- Let Org itself re-lay out what we wrote, then save  -*- lexical-binding: t -*-

;; Usage: emacs --batch -Q -l scripts/org-relayout.el FILE...
;;
;; Visits each FILE with `find-file' and has Org rewrite, through its own
;; commands, every part of the file that a person's edit would make Org
;; rewrite:
;;
;; - each property of each property drawer is set again to its current
;;   value with `org-entry-put' (what `org-set-property' calls), and the
;;   drawer is then re-indented with `org-indent-drawer';
;; - each checkbox is toggled twice with `org-toggle-checkbox' (which also
;;   rewrites the whole list's bullets, indentation and boxes);
;; - each inactive timestamp, in text or in a property value, is changed by
;;   0 days with `org-timestamp-change' (what S-up/S-down call), so that Org
;;   writes it again with `org-time-stamp-formats' and `format-time-string';
;; - finally the whole buffer is re-indented with `org-indent-region', as
;;   a person selecting everything and pressing TAB would.
;;
;; Then the buffer is saved with `save-buffer', `require-final-newline' t
;; and `delete-trailing-whitespace' in `before-save-hook', as many people's
;; configurations do. The file is rewritten in place: pass copies.
;;
;; Org's settings are those of `emacs -Q' (Org 9.5: `org-adapt-indentation'
;; nil, `org-property-format' "%-10s %s").
;;
;; `system-time-locale' is taken from the environment variable
;; ORG_RELAYOUT_TIME_LOCALE (default "C"): Org's day names follow it.
;;
;; Prints one JSON array with an object per FILE: how many properties,
;; property drawers, checkboxes and timestamps Org rewrote, so that a
;; caller can tell that the work was done; or {"file": ..., "error": ...}.

(require 'org)
(require 'org-element)
(require 'json)

(defun orl--markers (type)
  "Markers at the beginning of every element or object of TYPE in the buffer."
  (org-element-map (org-element-parse-buffer) type
    (lambda (node) (copy-marker (org-element-property :begin node)))))

(defun orl--properties ()
  "Set every property again with `org-entry-put', then re-indent each drawer.
Return (PROPERTIES . DRAWERS), the counts."
  (let ((properties 0) (drawers 0)
        (found (org-element-map (org-element-parse-buffer) 'property-drawer
                 (lambda (drawer)
                   (cons (copy-marker (org-element-property :begin drawer))
                         (org-element-map drawer 'node-property
                           (lambda (node) (cons (org-element-property :key node)
                                                (org-element-property :value node)))))))))
    (dolist (entry found)
      (let ((drawer (car entry)))
        (dolist (pair (cdr entry))
          (org-entry-put drawer (car pair) (or (cdr pair) ""))
          (setq properties (1+ properties)))
        (goto-char drawer)
        (let ((inhibit-message t))
          (org-indent-drawer))
        (setq drawers (1+ drawers))
        (set-marker drawer nil)))
    (cons properties drawers)))

(defun orl--checkboxes ()
  "Toggle every checkbox item twice; return how many there were."
  (let ((count 0))
    (dolist (item (orl--markers 'item))
      (goto-char item)
      (when (org-at-item-checkbox-p)
        (org-toggle-checkbox)
        (goto-char item)
        (org-toggle-checkbox)
        (setq count (1+ count)))
      (set-marker item nil))
    count))

(defun orl--timestamps ()
  "Change every inactive timestamp by 0 days; return how many there were."
  (let (starts (count 0))
    (goto-char (point-min))
    (while (re-search-forward org-ts-regexp-inactive nil t)
      (push (copy-marker (match-beginning 0)) starts))
    (dolist (start (nreverse starts))
      ;; Inside the year, so that Org sees a timestamp and not its bracket.
      (goto-char (1+ start))
      (org-timestamp-change 0 'day)
      (setq count (1+ count))
      (set-marker start nil))
    count))

(defun orl--file (file)
  (condition-case err
      (let ((buffer (find-file file)))
        (with-current-buffer buffer
          (unless (derived-mode-p 'org-mode)
            (error "Not visited in org-mode: %s" major-mode))
          (let* ((props (orl--properties))
                 (boxes (orl--checkboxes))
                 (stamps (orl--timestamps))
                 (_ (org-indent-region (point-min) (point-max)))
                 (result (list (cons "file" file)
                               (cons "properties" (car props))
                               (cons "drawers" (cdr props))
                               (cons "checkboxes" boxes)
                               (cons "timestamps" stamps))))
            (let ((require-final-newline t)
                  (before-save-hook '(delete-trailing-whitespace))
                  (make-backup-files nil))
              ;; Saved even when Org's rewrites left the text as it was.
              (set-buffer-modified-p t)
              (save-buffer))
            (kill-buffer buffer)
            result)))
    (error (list (cons "file" file) (cons "error" (error-message-string err))))))

(let ((files command-line-args-left)
      (system-time-locale (or (getenv "ORG_RELAYOUT_TIME_LOCALE") "C"))
      (json-encoding-pretty-print nil))
  (setq command-line-args-left nil)
  (princ (json-encode (vconcat (mapcar #'orl--file files))))
  (terpri)
  (kill-emacs 0))

;;; org-relayout.el ends here
