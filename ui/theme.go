package ui

import "fyne.io/fyne/v2"

// CJK text. Fyne's bundled Noto Sans has no Chinese or Japanese glyphs, but since Fyne 2.5 its
// painter falls back to the system's fonts (go-text's fontscan, which reads fontconfig's folders and
// .ttc collections too): first a font for the language of lang.SystemLocale(), then, glyph by glyph,
// any font that has the glyph. So Japanese and Chinese render wherever a CJK font is installed
// (Debian: fonts-noto-cjk, or the smaller fonts-ipafont-gothic for Japanese and
// fonts-wqy-microhei / fonts-droid-fallback for Chinese) and show as boxes where none is; Latin text
// keeps Fyne's own font. We keep that rather than a theme font of our own: a theme font would replace
// Noto Sans for Latin text too, and could not read .ttc files. `make deps` installs fonts-wqy-microhei
// (Han, kana, Hangul) and fonts-lohit-deva (Hindi; Arabic comes from fonts-dejavu-core);
// TestEveryLanguageHasGlyphs draws every character of every locale and language menu and fails on a
// missing-glyph box.
//
// What we add: Han characters look different in Japanese and Chinese, and Fyne picks the face by the
// system locale, which it reads from LANGUAGE; applyToFyne points LANGUAGE at the language chosen in
// settings, and refreshFonts makes Fyne drop the faces it cached so the next text is shaped with the
// face for that language.
func refreshFonts(a fyne.App) {
	a.Settings().SetTheme(a.Settings().Theme()) // a settings change clears Fyne's font cache
}
