package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/app/batch"
	"github.com/verbatim-app/verbatim/app/export"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
)

// apiError is OpenAI's error shape: {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func badRequest(param, code, format string, args ...any) *apiError {
	e := &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: code, Message: fmt.Sprintf(format, args...)}
	if param != "" {
		e.Param = &param
	}
	return e
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.Status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// formats are OpenAI's response_format values.
var formats = []string{"json", "text", "srt", "vtt", "verbose_json"}

// request is one parsed transcription or translation.
type request struct {
	translate   bool
	target      string // "" transcribes
	language    string // the audio's language, when the client says
	format      string
	stream      bool
	temperature float64
	name        string // the uploaded file's name
	audio       audiofile.Audio
}

// job is a request handed to the model owner.
type job struct {
	ctx    context.Context
	req    *request
	events chan event // streaming only; nil otherwise
	done   chan struct{}
	segs   []transcript.Segment
	err    error
}

// event is a piece of streamed text (partial) or a finished segment (final).
type event struct {
	delta, segID string
	seg          *transcript.Segment
}

// wait returns the job's error once the owner has finished it, or once the owner has stopped.
func (s *Server) wait(j *job) error {
	select {
	case <-j.done:
		return j.err
	case <-s.ownerDone:
		select {
		case <-j.done:
			return j.err
		default:
			return fmt.Errorf("the server is shutting down: %w", context.Canceled)
		}
	}
}

func (j *job) finish(segs []transcript.Segment, err error) {
	j.segs, j.err = segs, err
	close(j.done)
}

// send passes an event to a streaming handler, unless the client has gone.
func (j *job) send(ev event) {
	if j.events == nil {
		return
	}
	select {
	case j.events <- ev:
	case <-j.ctx.Done():
	}
}

func (s *Server) audio(w http.ResponseWriter, r *http.Request, translate bool) {
	b, err := s.ready()
	if b == nil {
		msg := "the model is still loading; retry in a moment"
		if err != nil {
			msg = "the model failed to load: " + err.Error()
		}
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "model_loading", Message: msg})
		return
	}
	// Admission before reading the body: a full queue answers at once, whatever the upload's size.
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		writeError(w, &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "queue_full",
			Message: fmt.Sprintf("the server is busy: %d requests are queued or running; retry later", cap(s.slots))})
		return
	}
	req, aerr := s.parse(w, r, translate, b)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	j := &job{ctx: r.Context(), req: req, done: make(chan struct{})}
	if req.stream {
		j.events = make(chan event, 64)
	}
	// The admission slot guarantees room in jobs, so this never blocks.
	s.jobs <- j
	if req.stream {
		s.stream(w, r, j)
		return
	}
	// A client that leaves cancels r.Context(), which the owner hears the job with, so this ends soon.
	if err := s.wait(j); err != nil {
		writeError(w, hearError(err))
		return
	}
	s.served.Add(1)
	s.respond(w, req, b, j.segs)
}

// parse reads the multipart form and decodes the audio, mapping each failure to OpenAI's status codes.
func (s *Server) parse(w http.ResponseWriter, r *http.Request, translate bool, b *Backend) (*request, *apiError) {
	tooBig := &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "file_too_large",
		Message: fmt.Sprintf("request larger than this server's limit of %d bytes (--max-bytes)", s.cfg.MaxBytes)}
	if r.ContentLength > s.cfg.MaxBytes {
		return nil, tooBig
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBytes)
	// Fields go to memory up to 1 MiB, file parts beyond that to temporary files removed below.
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooBig
		}
		return nil, badRequest("", "invalid_multipart", "want a multipart/form-data body with a file field: %v", err)
	}
	defer r.MultipartForm.RemoveAll()
	req := &request{translate: translate, format: "json"}
	field := func(k string) string { return strings.TrimSpace(r.FormValue(k)) }
	if f := field("response_format"); f != "" {
		if !slices.Contains(formats, f) {
			return nil, badRequest("response_format", "invalid_value", "response_format %q: want one of %s", f, strings.Join(formats, ", "))
		}
		req.format = f
	}
	if v := field("stream"); v != "" {
		st, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badRequest("stream", "invalid_value", "stream %q: want true or false", v)
		}
		req.stream = st
	}
	if v := field("temperature"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || t < 0 || t > 1 {
			return nil, badRequest("temperature", "invalid_value", "temperature %q: want a number from 0 to 1", v)
		}
		req.temperature = t
	}
	req.language = strings.ToLower(field("language"))
	if translate {
		// OpenAI's endpoint translates into English; Verbatim's own field picks another target.
		req.target = strings.ToLower(field("target_language"))
		if req.target == "" {
			req.target = "en"
		}
		// Speech already in the target language is transcribed, as OpenAI does for English audio. A model
		// trained for fixed tasks that cannot translate into English is taken to hear English.
		if req.target == req.language ||
			(req.target == "en" && b.Tasks != nil && !slices.Contains(b.Tasks, "translate:en")) {
			req.target = ""
		}
		if req.target != "" && b.Tasks != nil && !slices.Contains(b.Tasks, "translate:"+req.target) {
			return nil, badRequest("target_language", "unsupported_language", "%s cannot translate into %s (it knows: %s)",
				b.Name, speech.LanguageName(req.target), strings.Join(b.Tasks, ", "))
		}
	}
	files := r.MultipartForm.File["file"]
	if len(files) == 0 {
		return nil, badRequest("file", "missing_file", "no file: send the audio in a multipart field named file")
	}
	a, aerr := s.decode(files[0])
	if aerr != nil {
		return nil, aerr
	}
	req.name, req.audio = files[0].Filename, a
	return req, nil
}

func (s *Server) decode(fh *multipart.FileHeader) (audiofile.Audio, *apiError) {
	f, err := fh.Open()
	if err != nil {
		return audiofile.Audio{}, badRequest("file", "invalid_file", "read the upload: %v", err)
	}
	defer f.Close()
	a, err := audiofile.Decode(io.LimitReader(f, s.cfg.MaxBytes), fh.Filename)
	switch {
	case errors.Is(err, audiofile.ErrUnsupported):
		return a, &apiError{Status: http.StatusUnsupportedMediaType, Type: "invalid_request_error", Code: "unsupported_format",
			Param: ptr("file"), Message: fmt.Sprintf("%v (this server takes WAV, MP3 and FLAC)", err)}
	case err != nil:
		return a, badRequest("file", "invalid_file", "could not decode the audio: %v", err)
	case len(a.Samples) == 0:
		return a, badRequest("file", "invalid_file", "the file holds no audio")
	case a.Duration > s.cfg.MaxDuration:
		return a, &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "audio_too_long",
			Param: ptr("file"), Message: fmt.Sprintf("audio of %s is longer than this server's limit of %s (--max-duration)",
				a.Duration.Round(time.Second), s.cfg.MaxDuration)}
	}
	return a, nil
}

func ptr(s string) *string { return &s }

// ErrUnavailable, wrapped by a Backend model's error, says no model can hear now (the window has none
// loaded): a 503 the client may retry, not a failure of the request.
var ErrUnavailable = errors.New("no model is loaded")

// hearError maps a failure while hearing to an API error.
func hearError(err error) *apiError {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "cancelled", Message: "the request was cancelled: " + err.Error()}
	}
	if errors.Is(err, ErrUnavailable) {
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "model_unavailable", Message: err.Error()}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "server_error", Code: "model_error", Message: err.Error()}
}

// hear runs on the model owner: cut the audio into utterances and hear each, streaming text as it comes.
func (s *Server) hear(j *job, b Backend) {
	if err := j.ctx.Err(); err != nil {
		j.finish(nil, err) // the client left while queued
		return
	}
	m := speech.WithTemperature(b.Model, float32(j.req.temperature))
	// Deltas restart with each utterance; a segment's stream ID counts the segments with text so far.
	var segs []transcript.Segment
	cur, id := 0, ""
	var d deltas
	next := func(utt int) { // the first word of utterance utt
		if utt != cur {
			cur, id = utt, fmt.Sprintf("seg_%d", len(segs)+1)
			segID := id
			d = deltas{send: func(p string) { j.send(event{delta: p, segID: segID}) }, space: len(segs) > 0}
		}
	}
	_, err := batch.Hear(j.ctx, m, "", batch.SliceSamples(j.req.audio.Samples), batch.Options{Translate: j.req.target}, batch.Hooks{
		Piece: func(utt int, piece string) {
			next(utt)
			d.add(piece)
		},
		Segment: func(seg transcript.Segment) {
			next(seg.ID)
			segs = append(segs, seg)
			j.send(event{seg: &seg, segID: id})
		},
	})
	j.finish(segs, err)
}

// deltas turns the model's pieces into stream deltas whose concatenation is the final text: leading
// space of an utterance is dropped (one space separates utterances) and trailing space is held back
// until more text follows it.
type deltas struct {
	send    func(string)
	space   bool // an earlier utterance had text
	started bool
	pending string
}

func (d *deltas) add(piece string) {
	if !d.started {
		piece = strings.TrimLeft(piece, " \t\n")
		if piece == "" {
			return
		}
		if d.space {
			piece = " " + piece
		}
		d.started = true
	}
	full := d.pending + piece
	text := strings.TrimRight(full, " \t\n")
	d.pending = full[len(text):]
	if text != "" {
		d.send(text)
	}
}

// stream answers with Server-Sent Events as OpenAI's streaming transcription does: transcript.text.delta
// for each piece, transcript.text.segment for each finished utterance, transcript.text.done at the end.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, j *job) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(v any) {
		data, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", data)
		_ = rc.Flush()
	}
	for {
		select {
		case ev := <-j.events:
			if ev.seg != nil {
				write(map[string]any{"type": "transcript.text.segment", "id": ev.segID, "start": ev.seg.Start.Seconds(),
					"end": ev.seg.End.Seconds(), "text": ev.seg.Text, "speaker": ""})
			} else {
				write(map[string]any{"type": "transcript.text.delta", "delta": ev.delta, "segment_id": ev.segID})
			}
			continue
		case <-j.done:
		case <-s.ownerDone:
		}
		break
	}
	jerr := s.wait(j)
	// Events sent before done may still be buffered.
	for len(j.events) > 0 {
		ev := <-j.events
		if ev.seg != nil {
			write(map[string]any{"type": "transcript.text.segment", "id": ev.segID, "start": ev.seg.Start.Seconds(),
				"end": ev.seg.End.Seconds(), "text": ev.seg.Text, "speaker": ""})
		} else {
			write(map[string]any{"type": "transcript.text.delta", "delta": ev.delta, "segment_id": ev.segID})
		}
	}
	if jerr != nil {
		write(struct {
			Error *apiError `json:"error"`
		}{hearError(jerr)})
		return
	}
	s.served.Add(1)
	write(map[string]any{"type": "transcript.text.done", "text": joined(j.segs),
		"usage": map[string]any{"type": "duration", "seconds": j.req.audio.Duration.Seconds()}})
}

func joined(segs []transcript.Segment) string {
	var parts []string
	for _, s := range segs {
		parts = append(parts, s.Text)
	}
	return strings.Join(parts, " ")
}

// respond writes a finished request in its response_format.
func (s *Server) respond(w http.ResponseWriter, req *request, b *Backend, segs []transcript.Segment) {
	doc := export.Doc{Title: req.name, Language: req.target, Segments: segs}
	ctype := map[string]string{"text": "text/plain; charset=utf-8",
		"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt; charset=utf-8"}
	switch req.format {
	case "verbose_json":
		writeJSON(w, http.StatusOK, verbose(req, segs))
		return
	case "json":
		// OpenAI's json is the text alone; segments and timings are what verbose_json is for.
		writeJSON(w, http.StatusOK, struct {
			Text string `json:"text"`
		}{joined(segs)})
		return
	case "text":
		// OpenAI's text is the transcript on one line.
		w.Header().Set("Content-Type", ctype["text"])
		fmt.Fprintln(w, joined(segs))
		return
	}
	w.Header().Set("Content-Type", ctype[req.format])
	if err := export.Write(w, req.format, doc); err != nil {
		s.log.Warn("write response", "err", err)
	}
}

// verbose is OpenAI's verbose_json, with the fields Verbatim has no figure for set to zero.
func verbose(req *request, segs []transcript.Segment) any {
	type seg struct {
		ID               int     `json:"id"`
		Seek             int     `json:"seek"`
		Start            float64 `json:"start"`
		End              float64 `json:"end"`
		Text             string  `json:"text"`
		Tokens           []int   `json:"tokens"`
		Temperature      float64 `json:"temperature"`
		AvgLogprob       float64 `json:"avg_logprob"`
		CompressionRatio float64 `json:"compression_ratio"`
		NoSpeechProb     float64 `json:"no_speech_prob"`
	}
	task, lang := "transcribe", req.language
	if req.translate {
		task = "translate"
		if req.target != "" {
			lang = req.target
		}
	}
	name := ""
	if lang != "" {
		name = strings.ToLower(speech.LanguageName(lang))
	}
	out := struct {
		Task     string  `json:"task"`
		Language string  `json:"language"`
		Duration float64 `json:"duration"`
		Text     string  `json:"text"`
		Segments []seg   `json:"segments"`
	}{Task: task, Language: name, Duration: req.audio.Duration.Seconds(), Text: joined(segs), Segments: []seg{}}
	for i, s := range segs {
		out.Segments = append(out.Segments, seg{ID: i, Seek: int(s.Start.Milliseconds() / 10), Start: s.Start.Seconds(),
			End: s.End.Seconds(), Text: s.Text, Tokens: []int{}, Temperature: req.temperature})
	}
	return out
}
