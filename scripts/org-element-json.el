;;; org-element-json.el --- Print what Emacs's Org parser sees, as JSON  -*- lexical-binding: t -*-

;; Usage: emacs --batch -Q -l scripts/org-element-json.el FILE...
;;
;; Prints one JSON array with an object per FILE: the file keywords,
;; headlines (level, title, TODO keyword, tags, planning, whether a real
;; property drawer was found and its keys and values), ordinary drawers
;; (a "PROPERTIES" one here means org-element rejected it as a property
;; drawer), timestamps, list items with their checkbox state and the
;; inactive timestamp their text begins with, and example and src blocks with
;; their values. Every element carries the line it starts
;; on and the titles of the headlines above it. A file that cannot be read
;; gives {"file": ..., "error": ...}.
;;
;; Emacs starts in about half a second, so pass many files to one call. The
;; output is pure ASCII (non-ASCII characters are \u escapes), so that the
;; terminal's coding system cannot change it.

(require 'org)
(require 'org-element)
(require 'json)

(defvar oej--last-line nil
  "The last position `oej--line' counted to and its line: (POSITION . LINE).")

(defun oej--line (element)
  "The line ELEMENT begins on: `line-number-at-pos', counted on from the last
position asked about when this one is after it (the elements come mostly in
buffer order; counting from the top each time costs the square of the size)."
  (let ((pos (org-element-property :begin element)))
    (setq oej--last-line
          (cons pos (if (and oej--last-line (>= pos (car oej--last-line)))
                        (+ (cdr oej--last-line)
                           (save-excursion
                             (save-restriction
                               (widen)
                               (goto-char (car oej--last-line))
                               (let ((from (line-beginning-position)))
                                 (goto-char pos)
                                 (count-lines from (line-beginning-position))))))
                      (line-number-at-pos pos))))
    (cdr oej--last-line)))

(defun oej--path (element)
  "Titles of the headlines above ELEMENT, outermost first."
  (let (titles (parent (org-element-property :parent element)))
    (while parent
      (when (eq (org-element-type parent) 'headline)
        (push (org-element-property :raw-value parent) titles))
      (setq parent (org-element-property :parent parent)))
    (vconcat titles)))

(defun oej--object (&rest pairs)
  "A hash table from PAIRS (KEY VALUE ...), so that empty objects stay objects."
  (let ((table (make-hash-table :test 'equal)))
    (while pairs
      (puthash (car pairs) (cadr pairs) table)
      (setq pairs (cddr pairs)))
    table))

(defun oej--timestamp (ts)
  (and ts
       (oej--object
        "type" (symbol-name (org-element-property :type ts))
        "raw" (org-element-property :raw-value ts)
        "year" (org-element-property :year-start ts)
        "month" (org-element-property :month-start ts)
        "day" (org-element-property :day-start ts)
        "hour" (org-element-property :hour-start ts)
        "minute" (org-element-property :minute-start ts))))

(defun oej--headline (hl)
  (let* ((section (car (org-element-contents hl)))
         (drawer (and (eq (org-element-type section) 'section)
                      (seq-find (lambda (e) (eq (org-element-type e) 'property-drawer))
                                (org-element-contents section))))
         (properties (oej--object)))
    (when drawer
      (dolist (node (org-element-contents drawer))
        (when (eq (org-element-type node) 'node-property)
          (puthash (org-element-property :key node)
                   (or (org-element-property :value node) "")
                   properties))))
    (oej--object
     "line" (oej--line hl)
     "level" (org-element-property :level hl)
     "title" (org-element-property :raw-value hl)
     "todo" (org-element-property :todo-keyword hl)
     "tags" (vconcat (org-element-property :tags hl))
     "path" (oej--path hl)
     "property_drawer" (and drawer t)
     "properties" properties
     "closed" (oej--timestamp (org-element-property :closed hl))
     "scheduled" (oej--timestamp (org-element-property :scheduled hl))
     "deadline" (oej--timestamp (org-element-property :deadline hl)))))

(defun oej--item-stamp (item)
  "The inactive timestamp ITEM's text begins with (its tag's, or its first
paragraph's first object), or nil."
  (let* ((tag (org-element-property :tag item))
         (paragraph (car (org-element-contents item)))
         (first (cond (tag (car tag))
                      ((and (eq (org-element-type paragraph) 'paragraph)
                            (eql (org-element-property :begin paragraph)
                                 (org-element-property :contents-begin item)))
                       (car (org-element-contents paragraph))))))
    (and (eq (org-element-type first) 'timestamp)
         (memq (org-element-property :type first) '(inactive inactive-range))
         (oej--timestamp first))))

(defun oej--item (item)
  (let* ((begin (org-element-property :contents-begin item))
         (end (org-element-property :contents-end item))
         (first-line (if (and begin end)
                         (car (split-string (buffer-substring-no-properties begin end) "\n"))
                       "")))
    (oej--object
     "line" (oej--line item)
     "path" (oej--path item)
     "bullet" (org-element-property :bullet item)
     "checkbox" (let ((box (org-element-property :checkbox item)))
                  (and box (symbol-name box)))
     "tag" (let ((tag (org-element-property :tag item)))
             (and tag (org-element-interpret-data tag)))
     "first_line" first-line
     "stamp" (oej--item-stamp item)
     "depth" (let ((depth 0) (parent (org-element-property :parent item)))
               (while parent
                 (when (eq (org-element-type parent) 'item) (setq depth (1+ depth)))
                 (setq parent (org-element-property :parent parent)))
               depth))))

(defun oej--parse-buffer ()
  (setq oej--last-line nil)
  (let ((tree (org-element-parse-buffer)))
    (oej--object
     "keywords" (vconcat (org-element-map tree 'keyword
                           (lambda (k) (oej--object "key" (org-element-property :key k)
                                                    "value" (org-element-property :value k)
                                                    "line" (oej--line k)))))
     "headlines" (vconcat (org-element-map tree 'headline #'oej--headline))
     "drawers" (vconcat (org-element-map tree 'drawer
                          (lambda (d) (oej--object "name" (org-element-property :drawer-name d)
                                                   "line" (oej--line d)
                                                   "path" (oej--path d)))))
     "timestamps" (vconcat (org-element-map tree 'timestamp
                             (lambda (ts)
                               (let ((object (oej--timestamp ts)))
                                 (puthash "line" (oej--line ts) object)
                                 (puthash "path" (oej--path ts) object)
                                 object))))
     "items" (vconcat (org-element-map tree 'item #'oej--item))
     "blocks" (vconcat (org-element-map tree '(example-block src-block)
                         (lambda (b) (oej--object "type" (symbol-name (org-element-type b))
                                                  "language" (org-element-property :language b)
                                                  "value" (org-element-property :value b)
                                                  "line" (oej--line b)
                                                  "path" (oej--path b)))))
     "clocks" (length (org-element-map tree 'clock #'identity))
     "paragraphs" (vconcat (org-element-map tree 'paragraph
                             (lambda (p) (oej--object "line" (oej--line p)
                                                      "path" (oej--path p))))))))

(defun oej--file (file)
  (condition-case err
      (with-temp-buffer
        (insert-file-contents file)
        (let ((org-inhibit-startup t))
          (delay-mode-hooks (org-mode)))
        (let ((result (oej--parse-buffer)))
          (puthash "file" file result)
          (puthash "eol" (pcase (coding-system-eol-type buffer-file-coding-system)
                           (0 "unix") (1 "dos") (2 "mac") (_ "undecided"))
                   result)
          result))
    (error (oej--object "file" file "error" (error-message-string err)))))

(defun oej--ascii (json)
  "JSON with every non-ASCII character written as a \\u escape (UTF-16 pairs)."
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
  (princ (oej--ascii (json-encode (vconcat (mapcar #'oej--file files)))))
  (terpri)
  (kill-emacs 0))

;;; org-element-json.el ends here
