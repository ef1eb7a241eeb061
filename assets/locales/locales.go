// Package locales embeds Verbatim's translations: go-i18n message files active.<lang>.toml for
// Verbatim's own strings, and fyne.<lang>.json for Fyne's built-in dialogs in languages Fyne lacks.
//
// To add a string: add it to active.en.toml, then to every other active.*.toml (a test in ui checks
// that each language has every message).
package locales

import "embed"

// FS holds the message files.
//
//go:embed *.toml *.json
var FS embed.FS

// Languages are the interface languages, English first (the fallback).
var Languages = []string{"en", "es", "fr", "de", "ja", "zh"}
