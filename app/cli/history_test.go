package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-app/verbatim/app/session"
	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/audiofile"
	"github.com/verbatim-app/verbatim/tools/testenv"
)

// spokenFile writes the sentences, spoken by espeak-ng 1.5 s apart, as one 16 kHz WAV.
func spokenFile(t *testing.T, path string, rows ...heldout) {
	t.Helper()
	testenv.NeedTools(t, "espeak-ng")
	var all []float32
	for i, r := range rows {
		raw := path + ".part.wav"
		cmd := exec.Command("espeak-ng", "-v", r.voice, "-s", "160", "-w", raw, r.spoken)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v: %s", err, b)
		}
		a, err := audiofile.DecodeFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(raw)
		if i > 0 {
			all = append(all, make([]float32, 24000)...)
		}
		all = append(all, a.Samples...)
	}
	testenv.WriteWAV(t, path, append(all, make([]float32, 8000)...))
}

// where is one place a word was said: the audio file (or session folder) and the line's start.
type where struct {
	source string
	start  string // as the search prints it: mm:ss.cc
}

// placesIn lists the lines of a JSON transcript holding word.
func placesIn(t *testing.T, transcriptPath, source, word string) []where {
	t.Helper()
	b, err := os.ReadFile(transcriptPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Segments []struct {
			Start float64
			Text  string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", transcriptPath, err)
	}
	var out []where
	for _, s := range doc.Segments {
		if strings.Contains(strings.ToLower(s.Text), word) {
			out = append(out, where{source, clock(time.Duration(s.Start * float64(time.Second)))})
		}
	}
	return out
}

// searchPlaces runs `verbatim history search word` and parses its lines: date · source · time · text.
func searchPlaces(t *testing.T, word string) []where {
	t.Helper()
	code, out, errOut := run(t, "history", "search", word)
	if code != 0 {
		t.Fatalf("history search %s: exit %d: %s", word, code, errOut)
	}
	var got []where
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, " · ")
		if len(f) != 4 || !strings.Contains(strings.ToLower(f[3]), word) {
			t.Fatalf("search line %q: want date · source · time · a text with %q", l, word)
		}
		if _, err := time.Parse("2006-01-02 15:04", f[0]); err != nil {
			t.Errorf("search line %q: date: %v", l, err)
		}
		got = append(got, where{f[1], f[2]})
	}
	return got
}

// The whole road: two files transcribed by the demo model through the command line and a session
// recorded before the history existed (imported at its first use); `history search WORD` then prints
// each place the word was said, newest first, with the right file and time, as the transcripts have it.
func TestHistoryFindsEachPlace(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	root, err := session.DefaultRoot()
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	s.WriteAudio(make([]float32, 16000*14))
	for _, g := range []transcript.Segment{
		{ID: 1, Start: 2 * time.Second, End: 4 * time.Second, Text: "good morning everyone", Final: true},
		{ID: 2, Start: 12500 * time.Millisecond, End: 14 * time.Second, Text: "I will send the email tonight", Speaker: "Others", Final: true},
	} {
		if err := s.AppendSegment(g); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	email, other := heldoutSaying(t, "email")
	in := t.TempDir()
	a, b := filepath.Join(in, "a.wav"), filepath.Join(in, "b.wav")
	spokenFile(t, a, other[0], email[0])
	spokenFile(t, b, email[1])
	out := t.TempDir()
	// One run per file, so that b is the newer transcript.
	for _, f := range []string{a, b} {
		if code, _, errOut := run(t, "transcribe", "--format", "json", "-o", out+"/", f); code != 0 {
			t.Fatalf("transcribe %s: exit %d: %s", f, code, errOut)
		}
	}
	want := placesIn(t, filepath.Join(out, "b.json"), b, "email")
	want = append(want, placesIn(t, filepath.Join(out, "a.json"), a, "email")...)
	if len(want) != 2 || want[1].start == "00:00.00" {
		t.Fatalf("the demo model heard 'email' at %v; want once in each file, in a's second sentence", want)
	}
	want = append(want, where{"session " + filepath.Base(s.Dir()), "00:12.50"})
	got := searchPlaces(t, "email")
	_, shown, _ := run(t, "history", "search", "email")
	var size int64
	for _, p := range []string{"history.db", "history.db-wal"} {
		if st, err := os.Stat(filepath.Join(data, "verbatim", p)); err == nil {
			size += st.Size()
		}
	}
	t.Logf("verbatim history search email (database and log: %d bytes):\n%s", size, shown)
	if strings.Join(fmtPlaces(got), "|") != strings.Join(fmtPlaces(want), "|") {
		t.Errorf("history search email:\n got %v\nwant %v", got, want)
	}

	// --json: the same places, with the entries' files, model and the line's exact start.
	code, js, errOut := run(t, "history", "search", "--json", "email")
	if code != 0 {
		t.Fatalf("history search --json: exit %d: %s", code, errOut)
	}
	var hits []jsonHit
	if err := json.Unmarshal([]byte(js), &hits); err != nil || len(hits) != 3 {
		t.Fatalf("history search --json: %d hits, %v:\n%s", len(hits), err, js)
	}
	if h := hits[0]; h.Entry.Kind != "file" || h.Entry.Source != b || h.Entry.Output != filepath.Join(out, "b.json") ||
		h.Entry.Audio != b || h.Entry.Model != "demo" || h.Line.Text == "" {
		t.Errorf("first hit %+v; want b.wav's line, transcribed by the demo model into b.json", h)
	}
	if h := hits[2]; h.Entry.Kind != "session" || h.Entry.Source != s.Dir() || h.Line.Start != 12.5 || h.Line.Speaker != "Others" {
		t.Errorf("last hit %+v; want the session's line at 12.5 s by Others", h)
	}

	code, list, errOut := run(t, "history")
	if code != 0 || strings.Count(list, "\n") != 3 || !strings.Contains(list, "session "+filepath.Base(s.Dir())) {
		t.Errorf("history: exit %d, %q, %s; want the 3 entries", code, list, errOut)
	}
	code, list, _ = run(t, "history", "--json", "--limit", "2")
	var entries []jsonEntry
	if err := json.Unmarshal([]byte(list), &entries); code != 0 || err != nil || len(entries) != 2 || entries[0].Source != b {
		t.Errorf("history --json --limit 2: exit %d, %v, %+v; want b then a", code, err, entries)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search", "email AND"}, 2, `search "email AND"`},
		{[]string{"search", "don't", "C++"}, 0, "nothing said matches"},
		{[]string{"search"}, 2, "needs a query"},
		{[]string{"frobnicate"}, 2, "unknown history command"},
		{[]string{"show", "x"}, 2, "want an entry ID"},
		{[]string{"show", "999"}, 1, "not found"},
		{[]string{"--limit", "0"}, 2, "--limit"},
	} {
		code, _, errOut := run(t, append([]string{"history"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("history %q: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}

	// Rebuilt from the session folders, the session's lines are found as before; a damaged database
	// is moved aside (kept) and a new one built.
	if code, _, errOut := run(t, "history", "reindex"); code != 0 || !strings.Contains(errOut, "indexed 1 session(s)") {
		t.Errorf("history reindex: exit %d: %s", code, errOut)
	}
	if got := searchPlaces(t, "email"); len(got) != 3 {
		t.Errorf("after reindex: %v", got)
	}
	db := filepath.Join(data, "verbatim", "history.db")
	for _, p := range []string{db + "-wal", db + "-shm"} {
		os.Remove(p)
	}
	if err := os.WriteFile(db, []byte(strings.Repeat("garbage ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "history", "search", "email"); code != 1 || !strings.Contains(errOut, "history reindex") {
		t.Errorf("search in a damaged database: exit %d, %q; want 1 and the way out", code, errOut)
	}
	code, _, errOut = run(t, "history", "reindex")
	if code != 0 || !strings.Contains(errOut, "moved it to") {
		t.Errorf("reindex of a damaged database: exit %d: %s", code, errOut)
	}
	if m, _ := filepath.Glob(db + ".damaged-*"); len(m) != 1 {
		t.Errorf("damaged database kept as %v; want one file", m)
	}
	if got := searchPlaces(t, "email"); len(got) != 1 || got[0].start != "00:12.50" {
		t.Errorf("after rebuilding a damaged database: %v; want the session's line", got)
	}
}

func fmtPlaces(ws []where) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.source+" @ "+w.start)
	}
	return out
}

// A history that cannot be written (the data folder is a file) costs a warning, never the transcript.
func TestTranscribeIndexFailureIsAWarning(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(data, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_DATA_HOME", data)
	sy := newSynth(t)
	out := filepath.Join(t.TempDir(), "talk.txt")
	code, _, errOut := run(t, "transcribe", "--model", sy.model, "--projector", sy.projector, "--threads", "1", "-o", out, sy.wav)
	if code != 0 || !strings.Contains(errOut, "warning: not added to the history (the transcript is saved)") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning", code, errOut)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("transcript: %v", err)
	}
}

// A live session is in the history once listen ends: speech played into PulseAudio's virtual
// microphone, heard by the demo model, is found by `history search`.
func TestHistoryIndexesListenSession(t *testing.T) {
	testenv.RequirePulse(t, []string{"paplay", "espeak-ng"})
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	email, _ := heldoutSaying(t, "email")
	wav := filepath.Join(t.TempDir(), "speech.wav")
	spokenFile(t, wav, email[0])
	e := &listenEnv{lines: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	codec := e.start(ctx, t, "--threads", "1", "--backend", "pulseaudio")
	if b, err := exec.Command("paplay", "--device=vmic_sink", wav).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v: %s", err, b)
	}
	cancel()
	select {
	case code := <-codec:
		if code != 0 {
			t.Fatalf("listen: exit %d: %s", code, e.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("listen did not exit within 60 s of Ctrl-C")
	}
	if strings.Contains(e.stderr.String(), "warning") {
		t.Errorf("listen warned: %s", e.stderr.String())
	}
	infos, err := session.List(filepath.Join(data, "verbatim", "sessions"))
	if err != nil || len(infos) != 1 {
		t.Fatalf("sessions %+v, %v; want one", infos, err)
	}
	// Indexed by listen itself: the database exists before any history command could import it.
	if _, err := os.Stat(filepath.Join(data, "verbatim", "history.db")); errors.Is(err, os.ErrNotExist) {
		t.Fatal("listen wrote no history")
	}
	got := searchPlaces(t, "email")
	if len(got) != 1 || got[0].source != "session "+filepath.Base(infos[0].Dir) {
		t.Errorf("history search email after listen: %v (stdout %q); want the session", got, e.stdout.String())
	}
	// The model is named only by listen's own indexing (an import does not know it).
	code, js, _ := run(t, "history", "--json")
	var entries []jsonEntry
	if err := json.Unmarshal([]byte(js), &entries); code != 0 || err != nil || len(entries) != 1 || entries[0].Model != "demo" {
		t.Errorf("history --json: exit %d, %v, %+v; want the session, heard by the demo model", code, err, entries)
	}
}
