package ui

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/verbatim-app/verbatim/assets/locales"
)

// Translator renders Verbatim's strings in the chosen interface language.
type Translator struct {
	bundle *i18n.Bundle

	mu   sync.RWMutex
	lang string // the language in use: one of locales.Languages
	loc  *i18n.Localizer
}

// Process-wide on purpose, not the window's: the bundle is parsed once from the embedded files and
// never changes after; the environment is the process's, and applyToFyne changes it (and Fyne's
// global translations), so its original values must be read once, before any window's first change.
var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error

	// the environment's languages, read before any override of ours changes LANGUAGE
	sysOnce  sync.Once
	sysLangs []string
	sysEnv   map[string]*string
)

func loadBundle() (*i18n.Bundle, error) {
	bundleOnce.Do(func() {
		b := i18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		for _, l := range locales.Languages {
			name := "active." + l + ".toml"
			data, err := locales.FS.ReadFile(name)
			if err != nil {
				bundleErr = err
				return
			}
			if _, err := b.ParseMessageFileBytes(data, name); err != nil {
				bundleErr = fmt.Errorf("%s: %w", name, err)
				return
			}
		}
		bundle = b
	})
	return bundle, bundleErr
}

// NewTranslator returns a Translator for lang (one of locales.Languages), or for the system's
// language when lang is "".
func NewTranslator(lang string) (*Translator, error) {
	b, err := loadBundle()
	if err != nil {
		return nil, err
	}
	t := &Translator{bundle: b}
	t.SetLanguage(lang)
	return t, nil
}

// SystemLanguage is the interface language the environment asks for (LANGUAGE, LC_ALL, LC_MESSAGES,
// LANG, as gettext reads them), matched against locales.Languages; "en" when none fits.
func SystemLanguage() string {
	return matchLanguage(systemLocales())
}

func systemLocales() []string {
	sysOnce.Do(func() {
		sysEnv = map[string]*string{}
		for _, k := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
			if v, ok := os.LookupEnv(k); ok {
				sysEnv[k] = &v
			}
		}
		get := func(k string) string {
			if p := sysEnv[k]; p != nil {
				return *p
			}
			return ""
		}
		loc := ""
		for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if loc = get(k); loc != "" {
				break
			}
		}
		if loc == "C" || loc == "POSIX" || strings.HasPrefix(loc, "C.") {
			loc = "" // gettext ignores LANGUAGE under the C locale
		} else if l := get("LANGUAGE"); l != "" {
			loc = l
		}
		for _, l := range strings.Split(loc, ":") {
			if l != "" {
				sysLangs = append(sysLangs, l)
			}
		}
	})
	return sysLangs
}

// matchLanguage picks the supported language closest to the POSIX or BCP 47 locales given.
func matchLanguage(locs []string) string {
	supported := make([]language.Tag, len(locales.Languages))
	for i, l := range locales.Languages {
		supported[i] = language.Make(l)
	}
	var tags []language.Tag
	for _, l := range locs {
		l, _, _ = strings.Cut(l, ".") // de_DE.UTF-8
		l, _, _ = strings.Cut(l, "@")
		if tag, err := language.Parse(strings.ReplaceAll(l, "_", "-")); err == nil {
			tags = append(tags, tag)
		}
	}
	if len(tags) == 0 {
		return "en"
	}
	_, i, conf := language.NewMatcher(supported).Match(tags...)
	if conf == language.No {
		return "en"
	}
	return locales.Languages[i]
}

// SetLanguage switches to lang (one of locales.Languages; "" or unknown follows the system).
func (t *Translator) SetLanguage(l string) {
	if !isSupported(l) {
		l = SystemLanguage()
	}
	t.mu.Lock()
	t.lang = l
	t.loc = i18n.NewLocalizer(t.bundle, l, "en")
	t.mu.Unlock()
}

// Language is the language in use.
func (t *Translator) Language() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.lang
}

func isSupported(l string) bool {
	for _, s := range locales.Languages {
		if s == l {
			return true
		}
	}
	return false
}

// T translates the message id; data fills its template ({{.Name}}).
func (t *Translator) T(id string, data ...map[string]any) string {
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	return t.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: d})
}

// N translates the message id in the plural form for count, which the template sees as {{.Count}}.
func (t *Translator) N(id string, count int, data ...map[string]any) string {
	d := map[string]any{}
	if len(data) > 0 {
		for k, v := range data[0] {
			d[k] = v
		}
	}
	d["Count"] = count
	return t.localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: d})
}

func (t *Translator) localize(c *i18n.LocalizeConfig) string {
	t.mu.RLock()
	loc := t.loc
	t.mu.RUnlock()
	s, err := loc.Localize(c)
	if s == "" && err != nil {
		fyne.LogError("translation of "+c.MessageID, err)
		return c.MessageID
	}
	return s
}

// fyneLangMu serialises changes of the process's environment and Fyne's translations (process-wide).
var fyneLangMu sync.Mutex

// applyToFyne makes Fyne's own dialogs (file dialogs, Cancel/OK…) use lang too. Fyne's lang package
// reads the environment (LANGUAGE first) each time translations are added, so we point LANGUAGE at
// our choice, or back at the user's own setting when following the system, and add ours.
func applyToFyne(l string, followSystem bool) {
	fyneLangMu.Lock()
	defer fyneLangMu.Unlock()
	systemLocales() // remember the real environment first
	if followSystem {
		for _, k := range []string{"LANGUAGE", "LC_MESSAGES"} {
			if p := sysEnv[k]; p != nil {
				_ = os.Setenv(k, *p)
			} else {
				_ = os.Unsetenv(k)
			}
		}
	} else {
		_ = os.Setenv("LANGUAGE", l)
		if len(systemLocales()) == 0 { // LANG is C or unset: LANGUAGE alone would be ignored
			_ = os.Setenv("LC_MESSAGES", l)
		}
	}
	// Fyne has no Japanese of its own: add ours (this call also re-reads the environment).
	data, err := locales.FS.ReadFile("fyne.ja.json")
	if err == nil {
		err = lang.AddTranslationsForLocale(data, fyne.Locale("ja"))
	}
	if err != nil {
		fyne.LogError("Fyne translations", err)
	}
}
