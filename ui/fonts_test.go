package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/BurntSushi/toml"

	"github.com/verbatim-app/verbatim/assets/locales"
)

// glyphPainter draws one text at a time and says whether it looks like the missing-glyph box.
type glyphPainter struct {
	w    fyne.Window
	text *canvas.Text
	tofu image.Image
}

func newGlyphPainter(t *testing.T) *glyphPainter {
	test.NewTempApp(t)
	p := &glyphPainter{text: canvas.NewText("", color.Black)}
	p.text.TextSize = 24
	p.w = test.NewWindow(p.text)
	p.w.Resize(fyne.NewSize(200, 60))
	t.Cleanup(p.w.Close)
	p.tofu = p.draw("\uFFFF") // a noncharacter: no font has it
	return p
}

func (p *glyphPainter) draw(s string) image.Image {
	p.text.Text = s
	p.text.Refresh()
	return p.w.Canvas().Capture()
}

// samePicture says whether a and b show the same ink, wherever it is (a missing glyph's box may be
// drawn at another offset, after another advance).
func samePicture(a, b image.Image) bool {
	ia, ib := ink(a), ink(b)
	return ia.Rect.Size() == ib.Rect.Size() && bytes.Equal(ia.Pix, ib.Pix)
}

// ink is the part of img that differs from its top left pixel (the background), moved to 0,0.
func ink(img image.Image) *image.NRGBA {
	src := img.(*image.NRGBA)
	bg := src.NRGBAAt(0, 0)
	box := image.Rectangle{}
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			if src.NRGBAAt(x, y) != bg {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	out := image.NewNRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
	for y := 0; y < box.Dy(); y++ {
		for x := 0; x < box.Dx(); x++ {
			out.SetNRGBA(x, y, src.NRGBAAt(box.Min.X+x, box.Min.Y+y))
		}
	}
	return out
}

// Every character of every interface language, and of the language menus, has a glyph: none is
// drawn as the missing-glyph box. Fyne's own font lacks CJK, so this needs a CJK system font
// (Debian fonts-wqy-microhei or fonts-noto-cjk; see theme.go), found through Fyne's system-font
// fallback.
func TestEveryLanguageHasGlyphs(t *testing.T) {
	p := newGlyphPainter(t)

	// The check can fail: distinct CJK characters are distinct pictures, not the same box.
	ri, hon := p.draw("日"), p.draw("本")
	if samePicture(ri, hon) || samePicture(ri, p.tofu) {
		t.Fatal("日 and 本 are drawn as the missing-glyph box: no font with CJK glyphs was found " +
			"(install fonts-wqy-microhei or fonts-noto-cjk)")
	}

	texts := map[string][]string{} // rune -> where it is used
	add := func(where, s string) {
		for _, r := range s {
			if r > ' ' && r != '\u00a0' {
				texts[string(r)] = append(texts[string(r)], where)
			}
		}
	}
	for _, l := range locales.Languages {
		var m map[string]map[string]any
		data, err := locales.FS.ReadFile("active." + l + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for id, msg := range m {
			for form, v := range msg {
				if form != "description" {
					add(l+" "+id, fmt.Sprint(v))
				}
			}
		}
	}
	for _, il := range interfaceLanguages {
		add("interface language menu", il.name)
	}
	for _, tt := range translationTargets {
		add("translation menu", tt.name)
	}

	var missing []string
	for r, where := range texts {
		if samePicture(p.draw(r), p.tofu) {
			missing = append(missing, fmt.Sprintf("%q (U+%04X, in %s)", r, []rune(r)[0], where[0]))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d characters have no glyph:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
