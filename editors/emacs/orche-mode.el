;;; orche-mode.el --- Major mode for orche (.orc) files  -*- lexical-binding: t; -*-

;; A small major mode for orche and CUE: `//' comments, strings and bytes, definitions,
;; keywords, builtins and numbers highlighted, tab indentation.  Diagnostics, hover, completion,
;; go to definition, quick fixes and formatting come from `orche lsp' through eglot; see
;; docs/editors.md for the configuration.

;;; Code:

(defvar orche-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; `//' starts a comment that ends at the end of the line.
    (modify-syntax-entry ?/ ". 12" table)
    (modify-syntax-entry ?\n ">" table)
    ;; Strings in double quotes, bytes in single quotes, `\' escapes.
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?' "\"" table)
    (modify-syntax-entry ?\\ "\\" table)
    ;; Identifiers: `_x', `$x', `#Def', `_#Def'.
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?$ "_" table)
    (modify-syntax-entry ?# "_" table)
    table)
  "Syntax table of `orche-mode'.")

(defconst orche-font-lock-keywords
  `((,(regexp-opt '("package" "import" "let" "for" "in" "if") 'symbols)
     . font-lock-keyword-face)
    (,(regexp-opt '("true" "false" "null" "_|_") 'symbols) . font-lock-constant-face)
    (,(regexp-opt '("bool" "int" "float" "number" "string" "bytes" "uint" "rune" "byte"
                    "int8" "int16" "int32" "int64" "int128" "uint8" "uint16" "uint32"
                    "uint64" "uint128" "float32" "float64" "_")
                  'symbols)
     . font-lock-type-face)
    (,(regexp-opt '("len" "close" "and" "or" "div" "mod" "quo" "rem" "matchN" "matchIf")
                  'symbols)
     . font-lock-builtin-face)
    ("\\_<_?#[[:alpha:]_$][[:alnum:]_$]*" . font-lock-type-face)
    ("@[[:alpha:]_$][[:alnum:]_$]*" . font-lock-preprocessor-face)
    ("^[ \t]*\\(_?[[:alpha:]_$][[:alnum:]_$]*\\)[?!]?[ \t]*:" 1 font-lock-variable-name-face)
    ("\\_<\\(?:0[xX][[:xdigit:]_]+\\|0[oO][0-7_]+\\|0[bB][01_]+\\|[0-9][0-9_]*\\(?:\\.[0-9_]*\\)?\\(?:[eE][-+]?[0-9_]+\\|[KMGTP]i?\\)?\\)\\_>"
     . font-lock-constant-face))
  "Highlighting of `orche-mode'.")

;;;###autoload
(define-derived-mode orche-mode prog-mode "orche"
  "Major mode for orche (.orc) and CUE files."
  :syntax-table orche-mode-syntax-table
  (setq-local comment-start "// ")
  (setq-local comment-start-skip "//+[ \t]*")
  (setq-local comment-end "")
  (setq-local indent-tabs-mode t)
  (setq-local tab-width 4)
  (setq-local font-lock-defaults '(orche-font-lock-keywords)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.orc\\'" . orche-mode))

(provide 'orche-mode)
;;; orche-mode.el ends here
