;;; org-lint-export.el --- org-lint and a real export of each file, as JSON  -*- lexical-binding: t -*-

;; Usage: emacs --batch -Q -l scripts/org-lint-export.el FILE...
;;
;; For each FILE, in a buffer visiting it in Org mode: the warnings of
;; `org-lint' (every checker), then an export to HTML and one to plain text
;; (ASCII) with `org-export-as', with Babel free to run: `org-export-use-babel'
;; t and `org-confirm-babel-evaluate' nil, so that any inline source block or
;; babel call in the file would be evaluated without asking. The exports are
;; given by their length, or the error that stopped them; with
;; ORG_LINT_EXPORT_TEXT set (not empty), by their text.
;;
;; With ORG_LINT_EXPORT_DATES set to dates (YYYY-MM-DD, separated by spaces),
;; also the agenda's entries of FILE on each of those days, as
;; `org-agenda-get-day-entries' gives them (active timestamps, diary sexps,
;; which it evaluates, deadlines and scheduled items).
;;
;; And the live objects Org finds in FILE (headlines, paragraphs, the #+TITLE
;; keyword's value...): every object but emphasis, code and verbatim, entities,
;; line breaks, sub- and superscripts, table cells, \(...\) LaTeX fragments, links of the
;; types http, https, ftp, mailto, file, doi and news that are not in brackets,
;; and the inactive timestamps that begin list items (the entries' stamps).
;;
;; Prints one JSON array with an object per FILE:
;;   {"file": ..., "lint": [{"line": N, "checker": NAME, "message": ...}...],
;;    "objects": [{"type": TYPE, "line": N, "text": ...}...],
;;    "html": LENGTH (or TEXT) or {"error": MESSAGE}, "ascii": the same,
;;    "agenda": [TEXT...]}
;; The output is pure ASCII (non-ASCII characters are \u escapes).
;;
;; Works in Org 9.5 and 9.7 (whose `org-lint' reports differ in shape).

(require 'org)
(require 'org-lint)
(require 'ox-html)
(require 'ox-ascii)
(require 'org-agenda)
(require 'json)

(setq org-confirm-babel-evaluate nil
      org-export-use-babel t
      make-backup-files nil)

(defun ole--object (&rest pairs)
  (let ((table (make-hash-table :test 'equal)))
    (while pairs
      (puthash (car pairs) (cadr pairs) table)
      (setq pairs (cddr pairs)))
    table))

(defun ole--warning (report)
  "A warning of `org-lint' (Org 9.5: (ID [LINE TRUST MESSAGE CHECKER]); Org 9.7 the
same with the line as a string carrying a marker) as an object."
  (let* ((row (cadr report))
         (checker (aref row 3)))
    (ole--object "line" (string-to-number (substring-no-properties (aref row 0)))
                 "checker" (symbol-name (org-lint-checker-name checker))
                 "message" (substring-no-properties (aref row 2)))))

(defun ole--export (backend)
  (condition-case err
      (let ((text (org-export-as backend nil nil nil nil)))
        (if (member (getenv "ORG_LINT_EXPORT_TEXT") '(nil "")) (length text) text))
    (error (ole--object "error" (error-message-string err)))))

(defconst ole--harmless
  '(bold italic underline strike-through verbatim code entity line-break subscript
         superscript table-cell)
  "Objects that only change how text looks (a table's cells: the table is a person's).")

(defconst ole--safe-links '("http" "https" "ftp" "mailto" "file" "doi" "news"))

(defun ole--entry-stamp-p (timestamp)
  "Whether TIMESTAMP is inactive and begins the text of a list item."
  (let* ((paragraph (org-element-property :parent timestamp))
         (item (org-element-property :parent paragraph)))
    (and (memq (org-element-property :type timestamp) '(inactive inactive-range))
         (eq (org-element-type paragraph) 'paragraph)
         (eq (org-element-type item) 'item)
         (eql (org-element-property :begin timestamp)
              (org-element-property :contents-begin item)))))

(defun ole--live-p (object)
  (let ((type (org-element-type object)))
    (not (or (memq type ole--harmless)
             (and (eq type 'link)
                  (member (org-element-property :type object) ole--safe-links)
                  (not (eq (org-element-property :format object) 'bracket)))
             (and (eq type 'latex-fragment)
                  (not (string-prefix-p "$" (org-element-property :value object))))
             (and (eq type 'timestamp) (ole--entry-stamp-p object))))))

(defun ole--objects ()
  "The live objects of the buffer, the #+TITLE keyword's value included."
  (let ((tree (org-element-parse-buffer))
        found)
    (org-element-map tree org-element-all-objects
      (lambda (object)
        (when (ole--live-p object)
          (push (ole--object
                 "type" (symbol-name (org-element-type object))
                 "line" (line-number-at-pos (org-element-property :begin object))
                 "text" (buffer-substring-no-properties (org-element-property :begin object)
                                                        (org-element-property :end object)))
                found))))
    (org-element-map tree 'keyword
      (lambda (keyword)
        (when (equal (org-element-property :key keyword) "TITLE")
          (let ((value (org-element-parse-secondary-string
                        (org-element-property :value keyword)
                        (org-element-restriction 'keyword))))
            (org-element-map value org-element-all-objects
              (lambda (object)
                (when (ole--live-p object)
                  (push (ole--object "type" (symbol-name (org-element-type object))
                                     "line" (line-number-at-pos
                                             (org-element-property :begin keyword))
                                     "text" (org-element-interpret-data object))
                        found))))))))
    (vconcat (nreverse found))))

(defun ole--agenda (file)
  "FILE's agenda entries on each day of ORG_LINT_EXPORT_DATES, as text."
  (let (found)
    (dolist (day (split-string (or (getenv "ORG_LINT_EXPORT_DATES") "")))
      (let* ((parts (mapcar #'string-to-number (split-string day "-")))
             (date (list (nth 1 parts) (nth 2 parts) (nth 0 parts))))
        (dolist (entry (org-agenda-get-day-entries file date :timestamp :sexp :deadline
                                                   :scheduled))
          (push (substring-no-properties entry) found))))
    (vconcat (nreverse found))))

(defun ole--file (file)
  (condition-case err
      (let ((result
             (with-current-buffer (find-file-noselect file)
               (org-mode)
               (prog1 (ole--object "file" file
                                   "lint" (vconcat (mapcar #'ole--warning (org-lint)))
                                   "objects" (ole--objects)
                                   "html" (ole--export 'html)
                                   "ascii" (ole--export 'ascii))
                 (set-buffer-modified-p nil)
                 (kill-buffer)))))
        (puthash "agenda" (ole--agenda file) result)
        result)
    (error (ole--object "file" file "error" (error-message-string err)))))

(defun ole--ascii (json)
  (replace-regexp-in-string
   "[^[:ascii:]]"
   (lambda (match)
     (let ((code (string-to-char match)))
       (if (< code #x10000)
           (format "\\\\u%04x" code)
         (let ((offset (- code #x10000)))
           (format "\\\\u%04x\\\\u%04x"
                   (+ #xD800 (ash offset -10)) (+ #xDC00 (logand offset #x3FF)))))))
   json t))

(let ((files command-line-args-left)
      (json-encoding-pretty-print nil))
  (setq command-line-args-left nil)
  (let ((results (vconcat (mapcar #'ole--file files))))
    (princ (ole--ascii (json-encode results))))
  (terpri)
  (kill-emacs 0))

;;; org-lint-export.el ends here
