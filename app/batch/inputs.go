package batch

import "github.com/verbatim-app/verbatim/capture/audiofile"

// Which inputs a batch can transcribe, for front ends that gather them (the window's drop and file
// dialogs) without knowing the decoders.

// Inputs is what transcribing paths means: each folder is replaced by the audio files inside it (by
// extension, in walk order), every other path is kept as given, so that a missing or unreadable file
// gets its own error when it is transcribed.
func Inputs(paths []string) []string { return audiofile.Expand(paths) }

// Extensions are the file name extensions of the audio files a batch reads (".wav", …), for file
// dialogs' filters.
func Extensions() []string { return audiofile.Extensions() }
