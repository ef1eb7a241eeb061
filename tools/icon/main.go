// Command icon draws Verbatim's app icon (a microphone between waveform bars on a rounded square)
// and writes it as a PNG:
//
//	go run ./tools/icon -o assets/icon.png
package main

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

// shape is a signed distance: negative inside, in pixels of the 512 design grid.
type shape func(x, y float64) float64

func roundRect(cx, cy, hw, hh, r float64) shape {
	return func(x, y float64) float64 {
		dx := math.Abs(x-cx) - (hw - r)
		dy := math.Abs(y-cy) - (hh - r)
		out := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
		return out + math.Min(math.Max(dx, dy), 0) - r
	}
}

// arc is the lower half of a ring centred on (cx, cy).
func arc(cx, cy, radius, width float64) shape {
	return func(x, y float64) float64 {
		if y < cy { // above the centre: distance to the arc's end caps
			return math.Min(math.Hypot(x-(cx-radius), y-cy), math.Hypot(x-(cx+radius), y-cy)) - width/2
		}
		return math.Abs(math.Hypot(x-cx, y-cy)-radius) - width/2
	}
}

func union(s ...shape) shape {
	return func(x, y float64) float64 {
		d := math.Inf(1)
		for _, f := range s {
			d = math.Min(d, f(x, y))
		}
		return d
	}
}

func main() {
	out := flag.String("o", "assets/icon.png", "output file")
	size := flag.Int("size", 512, "width and height in pixels")
	flag.Parse()

	bg := roundRect(256, 256, 232, 232, 104)
	mic := union(
		roundRect(256, 196, 58, 112, 58), // capsule
		arc(256, 214, 100, 26),           // holder
		roundRect(256, 352, 13, 40, 6),   // stem
		roundRect(256, 396, 70, 13, 13),  // base
	)
	var bars []shape
	for i, h := range []float64{34, 70, 48} { // waveform bars each side
		x := 122 - float64(i)*34
		bars = append(bars, roundRect(x, 230, 11, h, 11), roundRect(512-x, 230, 11, h, 11))
	}
	wave := union(bars...)

	top, bottom := color.RGBA{0x2b, 0x6c, 0xf0, 255}, color.RGBA{0x12, 0x2f, 0x8a, 255}
	white := color.RGBA{255, 255, 255, 255}
	waveCol := color.RGBA{0x9f, 0xd8, 0xff, 255}

	n := *size
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	const ss = 4 // supersampling per axis
	scale := 512 / float64(n)
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					if bg(x, y) > 0 {
						continue
					}
					t := y / 512
					c := [3]float64{
						float64(top.R)*(1-t) + float64(bottom.R)*t,
						float64(top.G)*(1-t) + float64(bottom.G)*t,
						float64(top.B)*(1-t) + float64(bottom.B)*t,
					}
					switch {
					case mic(x, y) <= 0:
						c = [3]float64{float64(white.R), float64(white.G), float64(white.B)}
					case wave(x, y) <= 0:
						c = [3]float64{float64(waveCol.R), float64(waveCol.G), float64(waveCol.B)}
					}
					r, g, b, a = r+c[0], g+c[1], b+c[2], a+1
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / (ss * ss))})
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
