// Package session records a listening session to disk as it happens, so that a crash, a kill -9 or a
// power cut loses at most the last second of audio and no final transcript segment.
//
// A session is a folder holding:
//
//	audio.wav      16 kHz mono 16-bit PCM, appended as it arrives; the header is rewritten with every
//	               write (so a killed process leaves it right), synced at least every SyncInterval, and
//	               repaired from the real file size on recovery
//	system.wav     when the computer's own sound (a call's other side) is recorded too: the same, kept
//	               apart from the microphone's so that either can be played or heard again alone; both
//	               files start at the session's start, so a time means the same moment in each
//	journal.jsonl  one transcript.Segment per line (speaker included), append-only but for renaming a
//	               speaker, which replaces it whole; fsync'd after every final segment
//	session.json   metadata, rewritten atomically; "complete": true once Close has flushed everything
//
// Recordings are the most private thing Verbatim keeps: the folder is 0700 and its files 0600, set
// explicitly so that no umask widens (or, by taking write bits, breaks) them.
package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/verbatim-app/verbatim/app/transcript"
	"github.com/verbatim-app/verbatim/capture/pcm"
)

// SyncInterval is the most audio (and wall time) that may pass between two syncs of the audio file.
const SyncInterval = time.Second

const (
	audioName   = "audio.wav"
	systemName  = "system.wav"
	journalName = "journal.jsonl"
	metaName    = "session.json"
	dirLayout   = "2006-01-02_15-04-05"
	hdrSize     = pcm.WAVHeaderSize

	dirMode  = 0o700
	fileMode = 0o600
)

// Info describes a session on disk.
type Info struct {
	Dir           string
	Created       time.Time
	Complete      bool // Close ran: everything was flushed
	Segments      []transcript.Segment
	AudioDuration time.Duration
	AudioPath     string // the microphone's audio
	// SystemAudioPath is the computer's own sound, recorded beside the microphone's on the same
	// timeline; "" when the session has none.
	SystemAudioPath string
}

type meta struct {
	Version    int       `json:"version"`
	Created    time.Time `json:"created"`
	SampleRate int       `json:"sample_rate"`
	Complete   bool      `json:"complete"`
	Closed     time.Time `json:"closed,omitzero"`
}

// DefaultRoot is where sessions live: $XDG_DATA_HOME/verbatim/sessions (~/.local/share/... when unset),
// or the platform's equivalent on macOS and Windows.
func DefaultRoot() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "verbatim", "sessions"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("session: no data folder: %w", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "Verbatim", "sessions"), nil
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "Verbatim", "sessions"), nil
		}
	}
	return filepath.Join(home, ".local", "share", "verbatim", "sessions"), nil
}

// Session is an open recording. Its methods are safe for concurrent use (audio and transcript usually
// arrive from different goroutines).
type Session struct {
	mu      sync.Mutex
	dir     string
	meta    meta
	audio   track  // audio.wav: the microphone
	system  *track // system.wav: the computer's sound, from its first write on
	journal *os.File

	journalBytes int64

	segments transcript.Store // everything appended, kept even when the disk refuses it
	closed   bool
	fresh    bool // made by Create: removed again by Close if nothing was ever recorded
	buf      []byte
}

// track is one of a session's WAV files, appended to.
type track struct {
	f        *os.File
	bytes    int64 // PCM bytes after the header
	synced   int64 // bytes at the last sync
	lastSync time.Time
}

// ErrInUse means another running Verbatim is recording into the session.
var ErrInUse = errors.New("session: another Verbatim is recording into this session")

// Create starts a new session in a fresh, timestamped folder under root.
func Create(root string) (*Session, error) {
	if err := os.MkdirAll(root, dirMode); err != nil {
		return nil, fmt.Errorf("session: create data folder %s: %w", root, err)
	}
	// Best effort: the session folder's own 0700 is what keeps it private; this keeps even the
	// sessions' names (their times) to the owner, and gives back rights a umask may have taken.
	if err := os.Chmod(root, dirMode); err != nil {
		slog.Warn("session: cannot make the data folder private", "dir", root, "err", err)
	}
	now := time.Now()
	var dir string
	for i := 1; ; i++ {
		name := now.Format(dirLayout)
		if i > 1 {
			name = fmt.Sprintf("%s-%d", name, i)
		}
		dir = filepath.Join(root, name)
		err := os.Mkdir(dir, dirMode)
		if err == nil {
			err = os.Chmod(dir, dirMode) // the umask only narrows, and may have taken our own rights
			if err != nil {
				os.Remove(dir)
				return nil, fmt.Errorf("session: create session folder %s: %w", dir, err)
			}
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 1000 {
			return nil, fmt.Errorf("session: create session folder: %w", err)
		}
	}
	s := &Session{dir: dir, meta: meta{Version: 1, Created: now, SampleRate: pcm.Rate}, fresh: true}
	if err := s.writeMeta(); err != nil {
		return nil, err
	}
	var err error
	if s.audio, err = newTrack(filepath.Join(dir, audioName)); err != nil {
		return nil, err
	}
	if s.journal, err = openPrivate(filepath.Join(dir, journalName), os.O_RDWR|os.O_CREATE|os.O_EXCL); err != nil {
		s.audio.f.Close()
		return nil, err
	}
	if err := lockJournal(s.journal); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("session: lock %s: %w", s.journalPath(), err)
	}
	syncDir(dir)
	return s, nil
}

// newTrack creates an empty WAV file at path (that must not exist).
func newTrack(path string) (track, error) {
	f, err := openPrivate(path, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return track{}, err
	}
	if _, err = f.WriteAt(pcm.WAVHeader(pcm.Rate, 1, 0), 0); err != nil {
		f.Close()
		return track{}, fmt.Errorf("session: write %s: %w", f.Name(), err)
	}
	return track{f: f, lastSync: time.Now()}, nil
}

// openTrack opens an existing WAV file (repaired) to append to it.
func openTrack(path string) (track, error) {
	f, err := openPrivate(path, os.O_RDWR)
	if err != nil {
		return track{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return track{}, fmt.Errorf("session: %w", err)
	}
	n := st.Size() - hdrSize
	return track{f: f, bytes: n, synced: n, lastSync: time.Now()}, nil
}

// Open reopens an existing session to continue recording into it: the audio header and a torn last
// journal line are repaired first, and the session is marked incomplete until Close.
func Open(dir string) (*Session, error) {
	if inUse(dir) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, dir)
	}
	info, err := repair(dir)
	if err != nil {
		return nil, err
	}
	m, err := readMeta(dir)
	if err != nil {
		m = meta{Version: 1, Created: info.Created, SampleRate: pcm.Rate}
	}
	m.Complete, m.Closed = false, time.Time{}
	s := &Session{dir: dir, meta: m}
	for _, seg := range info.Segments {
		s.segments.Put(seg)
	}
	if s.audio, err = openTrack(filepath.Join(dir, audioName)); err != nil {
		return nil, err
	}
	if info.SystemAudioPath != "" {
		t, err := openTrack(info.SystemAudioPath)
		if err != nil {
			s.closeFiles()
			return nil, err
		}
		s.system = &t
	}
	if s.journal, err = openPrivate(filepath.Join(dir, journalName), os.O_RDWR|os.O_CREATE); err != nil {
		s.closeFiles()
		return nil, err
	}
	if err := lockJournal(s.journal); err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("session: lock %s: %w", s.journalPath(), err)
	}
	st, err := s.journal.Stat()
	if err != nil {
		s.closeFiles()
		return nil, fmt.Errorf("session: %w", err)
	}
	s.journalBytes = st.Size()
	if err := s.writeMeta(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// journalPath is the journal's name (the open file may have had another: see RenameSpeaker).
func (s *Session) journalPath() string { return filepath.Join(s.dir, journalName) }

// Dir is the session's folder.
func (s *Session) Dir() string { return s.dir }

// AudioPath is the session's WAV file (the microphone's).
func (s *Session) AudioPath() string { return filepath.Join(s.dir, audioName) }

// SystemAudioPath is the WAV file of the computer's own sound, "" until WriteSystemAudio created it.
func (s *Session) SystemAudioPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.system == nil {
		return ""
	}
	return s.system.f.Name()
}

// WriteAudio appends 16 kHz mono samples of the microphone. The samples reach the operating system at
// once (a killed process loses none of them) and the file is synced to the disk at least every
// SyncInterval.
func (s *Session) WriteAudio(samples []float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("session: write audio: session closed")
	}
	return s.write(&s.audio, samples)
}

// WriteSystemAudio appends 16 kHz mono samples of the computer's own sound to system.wav, created by
// the first call, as WriteAudio does the microphone's. Both files start when the session starts: a
// caller whose system audio begins later writes the silence before it first.
func (s *Session) WriteSystemAudio(samples []float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("session: write system audio: session closed")
	}
	if s.system == nil {
		t, err := newTrack(filepath.Join(s.dir, systemName))
		if err != nil {
			return err
		}
		s.system = &t
		syncDir(s.dir)
	}
	return s.write(s.system, samples)
}

// write appends samples to t. Called with mu held.
func (s *Session) write(t *track, samples []float32) error {
	s.buf = pcm.AppendPCM16(s.buf[:0], samples)
	if n, err := t.f.WriteAt(s.buf, hdrSize+t.bytes); err != nil {
		// Take back a partial write so the file stays a whole number of samples.
		if n > 0 {
			_ = t.f.Truncate(hdrSize + t.bytes)
		}
		return fmt.Errorf("session: write audio %s: %w", t.f.Name(), err)
	}
	t.bytes += int64(len(s.buf))
	if t.bytes-t.synced >= 2*pcm.Rate || time.Since(t.lastSync) >= SyncInterval {
		return t.sync()
	}
	// 44 bytes into the page cache: a kill -9 now leaves a header that states every sample written,
	// and a power cut one at most SyncInterval behind (the next sync writes it to disk).
	if _, err := t.f.WriteAt(pcm.WAVHeader(pcm.Rate, 1, t.bytes), 0); err != nil {
		return fmt.Errorf("session: write audio header %s: %w", t.f.Name(), err)
	}
	return nil
}

// AppendSegment records a transcript segment. A final segment is on disk (fsync'd, with the audio
// synced too) when this returns nil. The segment is kept in memory even when the disk refuses it, so
// Segments still has the whole text after an error. A speaker renamed (RenameSpeaker) is recorded
// under the new name.
func (s *Session) AppendSegment(seg transcript.Segment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg.Speaker = s.segments.Speaker(seg.Speaker)
	s.segments.Put(seg)
	if s.closed {
		return errors.New("session: append segment: session closed")
	}
	line, err := json.Marshal(seg)
	if err != nil {
		return fmt.Errorf("session: encode segment %d: %w", seg.ID, err)
	}
	line = append(line, '\n')
	if n, err := s.journal.WriteAt(line, s.journalBytes); err != nil {
		if n > 0 {
			_ = s.journal.Truncate(s.journalBytes)
		}
		return fmt.Errorf("session: write journal %s: %w", s.journalPath(), err)
	}
	s.journalBytes += int64(len(line))
	if !seg.Final {
		return nil
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("session: sync journal %s: %w", s.journalPath(), err)
	}
	return s.syncAudio()
}

// Segments returns the segments appended so far (a later segment with the same ID and language replaces an earlier
// one, as a final segment replaces its provisional text; a final one is never replaced by a provisional one).
func (s *Session) Segments() []transcript.Segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.segments.Segments()
}

// AudioDuration is the length of the audio written so far.
func (s *Session) AudioDuration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytesToDuration(s.audio.bytes)
}

// Sync forces audio and journal to disk.
func (s *Session) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("session: sync journal %s: %w", s.journalPath(), err)
	}
	return s.syncAudio()
}

// Close flushes everything and marks the session complete. After an error the files are closed but
// the session stays incomplete, so Recover offers it again.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.journal.Sync()
	if err != nil {
		err = fmt.Errorf("session: sync journal %s: %w", s.journalPath(), err)
	}
	err = errors.Join(err, s.syncAudio())
	err = errors.Join(err, s.closeFiles())
	if err != nil {
		return err
	}
	if s.fresh && s.audio.bytes == 0 && (s.system == nil || s.system.bytes == 0) && s.segments.Len() == 0 {
		// Nothing was recorded (the device never opened, or stopped at once): an empty folder would
		// only clutter the list of sessions.
		return s.removeEmpty()
	}
	s.meta.Complete, s.meta.Closed = true, time.Now()
	return s.writeMeta()
}

// removeEmpty deletes a session folder holding only what Create put there. Called with mu held.
func (s *Session) removeEmpty() error {
	var errs []error
	for _, name := range []string{audioName, systemName, journalName, metaName} {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(s.dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("session: remove empty session %s: %w", s.dir, err)
	}
	return nil
}

// openPrivate opens a session file, making it 0600 whatever the umask and whatever an older version
// left (sessions used to be 0644).
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, fileMode)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return nil, fmt.Errorf("session: %w", err)
	}
	return f, nil
}

// Abandon closes the files without marking the session complete, leaving it as a crash would: the next
// Recover offers it. Tests use it to stand in for a killed process.
func (s *Session) Abandon() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeFiles()
}

func (s *Session) closeFiles() error {
	var errs []error
	if s.audio.f != nil {
		errs = append(errs, s.audio.f.Close())
	}
	if s.system != nil {
		errs = append(errs, s.system.f.Close())
	}
	if s.journal != nil {
		errs = append(errs, s.journal.Close())
	}
	return errors.Join(errs...)
}

// syncAudio rewrites the headers for the current lengths and fsyncs the audio files. Called with mu held.
func (s *Session) syncAudio() error {
	err := s.audio.sync()
	if s.system != nil {
		err = errors.Join(err, s.system.sync())
	}
	return err
}

// sync rewrites the header for the current length and fsyncs the file.
func (t *track) sync() error {
	t.lastSync = time.Now()
	if _, err := t.f.WriteAt(pcm.WAVHeader(pcm.Rate, 1, t.bytes), 0); err != nil {
		return fmt.Errorf("session: write audio header %s: %w", t.f.Name(), err)
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("session: sync audio %s: %w", t.f.Name(), err)
	}
	t.synced = t.bytes
	return nil
}

func (s *Session) writeMeta() error {
	b, err := json.MarshalIndent(s.meta, "", "  ")
	if err != nil {
		return fmt.Errorf("session: encode metadata: %w", err)
	}
	path := filepath.Join(s.dir, metaName)
	tmp := path + ".tmp"
	f, err := openPrivate(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("session: write metadata: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("session: write metadata %s: %w", path, err)
	}
	syncDir(s.dir)
	return nil
}

// syncDir makes a new or renamed entry durable; best effort (not every platform can fsync a folder).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func readMeta(dir string) (meta, error) {
	var m meta
	b, err := os.ReadFile(filepath.Join(dir, metaName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("session: %s: %w", filepath.Join(dir, metaName), err)
	}
	return m, nil
}

func bytesToDuration(n int64) time.Duration {
	return pcm.Duration(n / 2)
}

// Load reads a session without changing it. The audio duration comes from the file size, so a header
// that was never rewritten (a crash) does not matter.
func Load(dir string) (Info, error) {
	info := Info{Dir: dir, AudioPath: filepath.Join(dir, audioName)}
	m, err := readMeta(dir)
	switch {
	case err == nil:
		info.Created, info.Complete = m.Created, m.Complete
	default:
		// Missing (a crash between mkdir and the first metadata write) or damaged: the audio and the
		// journal matter more than the metadata, so go by the folder's own time.
		if !errors.Is(err, os.ErrNotExist) {
			slog.Warn("session: ignoring unreadable metadata", "dir", dir, "err", err)
		}
		if st, err := os.Stat(dir); err == nil {
			info.Created = st.ModTime()
		}
	}
	if st, err := os.Stat(info.AudioPath); err == nil {
		info.AudioDuration = bytesToDuration(max(0, st.Size()-hdrSize))
	} else if !errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("session: %w", err)
	}
	if p := filepath.Join(dir, systemName); exists(p) {
		info.SystemAudioPath = p
	}
	segs, _, err := readJournal(filepath.Join(dir, journalName))
	if err != nil {
		return info, err
	}
	info.Segments = segs
	return info, nil
}

// readJournal returns the segments (replayed into a transcript.Store, as Session keeps them) and the length
// of the journal up to the end of the last complete line; a torn last line is ignored.
func readJournal(path string) ([]transcript.Segment, int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("session: read journal: %w", err)
	}
	var segs transcript.Store
	var good int64
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			slog.Warn("session: ignoring torn last journal line", "journal", path, "bytes", len(b))
			break
		}
		line := b[:i]
		b = b[i+1:]
		good += int64(i + 1)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var seg transcript.Segment
		if err := json.Unmarshal(line, &seg); err != nil {
			slog.Warn("session: skipping unreadable journal line", "journal", path, "err", err)
			continue
		}
		segs.Put(seg)
	}
	return segs.Segments(), good, nil
}

// repair makes an interrupted session's files consistent: the WAV header states the real length (an
// odd trailing byte is dropped) and a torn last journal line is cut off.
func repair(dir string) (Info, error) {
	info, err := Load(dir)
	if err != nil {
		return info, err
	}
	// Sessions recorded before they were made private are made private now.
	if err := os.Chmod(dir, dirMode); err != nil {
		return info, fmt.Errorf("session: repair: %w", err)
	}
	if err := repairWAV(info.AudioPath); err != nil {
		return info, err
	}
	if info.SystemAudioPath != "" {
		if err := repairWAV(info.SystemAudioPath); err != nil {
			return info, err
		}
	}
	jpath := filepath.Join(dir, journalName)
	if _, good, err := readJournal(jpath); err != nil {
		return info, err
	} else if st, err := os.Stat(jpath); err == nil && st.Size() > good {
		if err := os.Truncate(jpath, good); err != nil {
			return info, fmt.Errorf("session: repair %s: %w", jpath, err)
		}
	}
	if err := os.Chmod(jpath, fileMode); err != nil && !errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("session: repair: %w", err)
	}
	return info, nil
}

// repairWAV makes the header of a session's WAV file (created when missing) state its real length, an
// odd trailing byte dropped.
func repairWAV(path string) error {
	f, err := openPrivate(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("session: repair: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("session: repair: %w", err)
	}
	data := max(0, st.Size()-hdrSize)
	data -= data % 2
	if st.Size() != hdrSize+data {
		if err := f.Truncate(hdrSize + data); err != nil {
			return fmt.Errorf("session: repair %s: %w", path, err)
		}
	}
	if _, err := f.WriteAt(pcm.WAVHeader(pcm.Rate, 1, data), 0); err != nil {
		return fmt.Errorf("session: repair %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("session: repair %s: %w", path, err)
	}
	return nil
}

// Recover finds the sessions under root that were never closed (the app crashed or was killed),
// repairs their files so the audio plays and the journal parses, and returns them oldest first.
// A session that cannot be read is logged and skipped rather than hiding the others.
func Recover(root string) ([]Info, error) {
	dirs, err := sessionDirs(root)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, dir := range dirs {
		if m, err := readMeta(dir); err == nil && m.Complete {
			continue
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			slog.Warn("session: unreadable metadata", "dir", dir, "err", err)
		}
		if inUse(dir) {
			continue // being recorded right now by another Verbatim: not crashed
		}
		info, err := repair(dir)
		if err != nil {
			slog.Warn("session: cannot recover", "dir", dir, "err", err)
			continue
		}
		out = append(out, info)
	}
	sortByCreation(out)
	return out, nil
}

// List returns every session under root, complete or not, oldest first, without changing any.
func List(root string) ([]Info, error) {
	dirs, err := sessionDirs(root)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, dir := range dirs {
		info, err := Load(dir)
		if err != nil {
			slog.Warn("session: unreadable session", "dir", dir, "err", err)
			continue
		}
		out = append(out, info)
	}
	sortByCreation(out)
	return out, nil
}

// sessionDirs lists the session folders under root: folders holding audio or a journal.
func sessionDirs(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: list sessions: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if e.IsDir() && (exists(filepath.Join(dir, audioName)) || exists(filepath.Join(dir, journalName))) {
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}

// inUse reports whether another process holds the session's journal lock.
func inUse(dir string) bool {
	f, err := os.Open(filepath.Join(dir, journalName))
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(lockJournal(f), ErrInUse)
}

func sortByCreation(infos []Info) {
	sort.Slice(infos, func(i, j int) bool { return infos[i].Created.Before(infos[j].Created) })
}

// MarkComplete marks a recovered session as dealt with, so Recover stops offering it.
func MarkComplete(dir string) error {
	m, err := readMeta(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if m.Version == 0 {
		m = meta{Version: 1, Created: time.Now(), SampleRate: pcm.Rate}
	}
	m.Complete, m.Closed = true, time.Now()
	s := &Session{dir: dir, meta: m}
	return s.writeMeta()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var _ io.Closer = (*Session)(nil)

// InUse reports whether a running Verbatim is recording into the session in dir.
func InUse(dir string) bool { return inUse(dir) }

// Find returns the folder of the session named id (its folder name, as List shows it) under root.
// Anything that is not a plain name of a session folder is refused, so no other folder is touched.
func Find(root, id string) (string, error) {
	if id == "" || id != filepath.Base(id) || !filepath.IsLocal(id) {
		return "", fmt.Errorf("session: %q is not a session name (see 'verbatim sessions')", id)
	}
	dir := filepath.Join(root, id)
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() || !(exists(filepath.Join(dir, audioName)) || exists(filepath.Join(dir, journalName))) {
		return "", fmt.Errorf("session: no session %s in %s", id, root)
	}
	return dir, nil
}

// Repair makes a crashed session's files consistent (see Recover) and returns what it holds. A
// session being recorded is refused.
func Repair(dir string) (Info, error) {
	if inUse(dir) {
		return Info{}, fmt.Errorf("%w: %s", ErrInUse, dir)
	}
	return repair(dir)
}

// Remove deletes the session in dir, audio and transcript, unless it is being recorded.
func Remove(dir string) error {
	if inUse(dir) {
		return fmt.Errorf("%w: %s", ErrInUse, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("session: remove %s: %w", dir, err)
	}
	return nil
}
