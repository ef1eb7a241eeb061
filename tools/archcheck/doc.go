// Package archcheck holds the test that keeps docs/ARCHITECTURE.md true: which packages may import Fyne,
// llama.cpp and miniaudio, and what the shipped binary links. It has no code of its own.
package archcheck
