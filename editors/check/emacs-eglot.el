;;; emacs-eglot.el --- run by editors/check/emacs-eglot.sh  -*- lexical-binding: t; -*-

;; Opens $ORCHE_CHECK_FILE (a conflict on `port') with the user's init loaded, and stands in for
;; the parts of an interactive session that batch mode lacks: the command loop's
;; `post-command-hook' (where `eglot-ensure' connects), Flymake's idle start, and the idle timer
;; after which eglot sends an edit.

;;; Code:

(require 'cl-lib)
(require 'flymake)

(defun orche-check--fail (fmt &rest args)
  (message "emacs-eglot: FAIL: %s" (apply #'format fmt args))
  (kill-emacs 1))

(defun orche-check--wait (what pred)
  "Pump events until PRED returns non-nil, for 20 seconds at most; fail naming WHAT."
  (let ((deadline (+ (float-time) 20)) done)
    (while (and (not (setq done (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      (when (bound-and-true-p flymake-mode) (flymake-start)))
    (or done (orche-check--fail "timed out waiting for %s" what))))

(defun orche-check--diagnostics ()
  (mapcar (lambda (d)
            (format "%d: %s" (line-number-at-pos (flymake-diagnostic-beg d))
                    (flymake-diagnostic-text d)))
          (flymake-diagnostics)))

(let ((file (getenv "ORCHE_CHECK_FILE")))
  (find-file file)
  (message "emacs-eglot: GNU Emacs %s, eglot from %s, visiting %s in %s"
           emacs-version (locate-library "eglot") (file-name-nondirectory file) major-mode)
  (unless (eq major-mode 'orche-mode)
    (orche-check--fail "the file is in %s, not orche-mode" major-mode))
  (run-hooks 'post-command-hook)
  (orche-check--wait "eglot to connect" (lambda () (bound-and-true-p eglot--managed-mode)))
  (message "emacs-eglot: connected to %s"
           (process-command (jsonrpc--process (eglot-current-server))))
  (let ((diags (orche-check--wait
                "the conflict"
                (lambda () (cl-remove-if-not (lambda (s) (string-match-p "orche::eval::conflict" s))
                                             (orche-check--diagnostics))))))
    (dolist (d (orche-check--diagnostics)) (message "emacs-eglot: diagnostic %s" d))
    (unless (cl-some (lambda (s) (string-match-p "conflicting values 8[01] and 8[01]" s)) diags)
      (orche-check--fail "no `conflicting values' message in %S" diags)))
  ;; The fix: delete `port: 81'; eglot sends the change after an idle delay.
  (goto-char (point-min))
  (search-forward "port: 81")
  (delete-region (line-beginning-position) (1+ (line-end-position)))
  (eglot--signal-textDocument/didChange)
  (orche-check--wait "the diagnostic to clear" (lambda () (null (flymake-diagnostics))))
  (message "emacs-eglot: ok: the conflict was shown, then cleared after the fix")
  (set-buffer-modified-p nil)
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs 0))

;;; emacs-eglot.el ends here
