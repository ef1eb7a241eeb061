package ui

import (
	"os"

	"fyne.io/fyne/v2"
)

// CJK text. Fyne's bundled Noto Sans has no Chinese or Japanese glyphs, but since Fyne 2.5 its
// painter falls back, glyph by glyph, to any installed system font that has them (go-text's
// fontscan), so Japanese and Chinese render wherever a CJK font is installed (Debian: fonts-noto-cjk,
// fonts-ipafont-gothic, fonts-wqy-microhei, fonts-droid-fallback…); with none, they show as boxes.
// That fallback picks Han glyph shapes by the *system* locale, not by the language chosen in
// settings, so when Japanese or Chinese is the interface language we make a single-file font for
// that language (TTF/OTF: Fyne cannot take a .ttc collection as a theme font) the theme's text font
// when one is installed. Latin text then comes from that font too, which these fonts cover.
var cjkFonts = map[string][]string{
	"ja": {
		"/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
		"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
		"/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
		"/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf",
		"/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
	},
	"zh": {
		"/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
		"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	},
}

// findCJKFont returns a font for lang's script, or nil to keep Fyne's fonts and fallback.
func findCJKFont(lang string) fyne.Resource {
	for _, p := range cjkFonts[lang] {
		data, err := os.ReadFile(p)
		if err == nil && len(data) > 0 {
			return fyne.NewStaticResource(p, data)
		}
	}
	return nil
}

// fontTheme is the default theme with another regular text font.
type fontTheme struct {
	fyne.Theme
	regular fyne.Resource
}

func (t *fontTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	return t.regular
}

var _ fyne.Theme = (*fontTheme)(nil)
