// Command gonote checks tdx's signed notes and cosignatures with the Go reference code:
// golang.org/x/mod/sumdb/note (C2SP signed-note, Ed25519 0x01),
// github.com/transparency-dev/formats/note (C2SP tlog-cosignature, cosignature/v1 0x04), and
// github.com/transparency-dev/witness/client/http (a C2SP tlog-witness client).
//
// It reads one JSON request on stdin and writes one JSON answer on stdout; tdx's tests
// (tests/ledger/go_note.py) build it into a git-ignored folder and drive it.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	wclient "github.com/transparency-dev/witness/client/http"
	"github.com/transparency-dev/witness/persistence/inmemory"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
)

type request struct {
	Op            string   `json:"op"`
	Note          string   `json:"note"`
	Text          string   `json:"text"`
	LogKeys       []string `json:"logKeys"`
	CosignerKeys  []string `json:"cosignerKeys"`
	LogSkeys      []string `json:"logSkeys"`
	CosignerSkeys []string `json:"cosignerSkeys"`
	Skey          string   `json:"skey"`
	Vkey          string   `json:"vkey"`
	URL           string   `json:"url"`
	OldSize       uint64   `json:"oldSize"`
	Proof         []string `json:"proof"`
}

type signature struct {
	Name      string `json:"name"`
	KeyHash   string `json:"keyHash"`
	Timestamp *int64 `json:"timestamp"`
}

type answer struct {
	OK         bool        `json:"ok"`
	Error      string      `json:"error,omitempty"`
	Text       string      `json:"text,omitempty"`
	Note       string      `json:"note,omitempty"`
	Signatures []signature `json:"signatures"`
	Unverified []signature `json:"unverified"`
	KeyHash    string      `json:"keyHash,omitempty"`
	CosigHash  string      `json:"cosignatureKeyHash,omitempty"`
	CosigVkey  string      `json:"cosignatureVkey,omitempty"`
	Body       string      `json:"body,omitempty"`
	URL        string      `json:"url,omitempty"`
	Refusal    string      `json:"refusal,omitempty"`
	Size       uint64      `json:"size,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail(fmt.Errorf("request: %w", err))
	}
	var out answer
	var err error
	switch req.Op {
	case "open":
		out, err = open(req)
	case "sign":
		out, err = sign(req)
	case "cosign":
		out, err = cosign(req)
	case "keys":
		out, err = keys(req)
	case "submit":
		out, err = submit(req)
	case "serve":
		serve(req) // answers, then serves until stdin closes
		return
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		// A refusal is an answer, not a crash: the tests assert on it.
		out = answer{OK: false, Error: err.Error()}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

// verifiers: log keys as signed-note Ed25519 (0x01), cosigner keys as cosignature/v1.
func verifiers(req request) (note.Verifiers, map[uint32]bool, error) {
	var list []note.Verifier
	cosigners := map[uint32]bool{}
	for _, k := range req.LogKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, nil, fmt.Errorf("log key %q: %w", k, err)
		}
		list = append(list, v)
	}
	for _, k := range req.CosignerKeys {
		v, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, nil, fmt.Errorf("cosigner key %q: %w", k, err)
		}
		cosigners[v.KeyHash()] = true
		list = append(list, v)
	}
	return note.VerifierList(list...), cosigners, nil
}

func describe(sigs []note.Signature, cosigners map[uint32]bool) ([]signature, error) {
	out := []signature{}
	for _, s := range sigs {
		d := signature{Name: s.Name, KeyHash: fmt.Sprintf("%08x", s.Hash)}
		if cosigners[s.Hash] {
			t, err := fnote.CoSigV1Timestamp(s)
			if err != nil {
				return nil, err
			}
			unix := t.Unix()
			d.Timestamp = &unix
		}
		out = append(out, d)
	}
	return out, nil
}

func open(req request) (answer, error) {
	vs, cosigners, err := verifiers(req)
	if err != nil {
		return answer{}, err
	}
	n, err := note.Open([]byte(req.Note), vs)
	if err != nil {
		return answer{}, err
	}
	verified, err := describe(n.Sigs, cosigners)
	if err != nil {
		return answer{}, err
	}
	unverified, err := describe(n.UnverifiedSigs, nil)
	if err != nil {
		return answer{}, err
	}
	return answer{OK: true, Text: n.Text, Signatures: verified, Unverified: unverified}, nil
}

func signers(req request) ([]note.Signer, error) {
	var list []note.Signer
	for _, k := range req.LogSkeys {
		s, err := note.NewSigner(k)
		if err != nil {
			return nil, fmt.Errorf("log signer key: %w", err)
		}
		list = append(list, s)
	}
	for _, k := range req.CosignerSkeys {
		s, err := fnote.NewSignerForCosignatureV1(k)
		if err != nil {
			return nil, fmt.Errorf("cosigner signer key: %w", err)
		}
		list = append(list, s)
	}
	return list, nil
}

func sign(req request) (answer, error) {
	ss, err := signers(req)
	if err != nil {
		return answer{}, err
	}
	msg, err := note.Sign(&note.Note{Text: req.Text}, ss...)
	if err != nil {
		return answer{}, err
	}
	return answer{OK: true, Note: string(msg)}, nil
}

// cosign opens a note with the log keys (as a witness must) and appends cosignatures, after
// the signatures already there.
func cosign(req request) (answer, error) {
	vs, _, err := verifiers(request{LogKeys: req.LogKeys})
	if err != nil {
		return answer{}, err
	}
	n, err := note.Open([]byte(req.Note), vs)
	if err != nil {
		return answer{}, err
	}
	ss, err := signers(request{CosignerSkeys: req.CosignerSkeys})
	if err != nil {
		return answer{}, err
	}
	msg, err := note.Sign(n, ss...)
	if err != nil {
		return answer{}, err
	}
	return answer{OK: true, Note: string(msg)}, nil
}

func keys(req request) (answer, error) {
	s, err := note.NewSigner(req.Skey)
	if err != nil {
		return answer{}, err
	}
	c, err := fnote.NewSignerForCosignatureV1(req.Skey)
	if err != nil {
		return answer{}, err
	}
	vkey, err := fnote.VKeyToCosignatureV1(req.Vkey)
	if err != nil {
		return answer{}, err
	}
	return answer{
		OK:        true,
		KeyHash:   fmt.Sprintf("%08x", s.KeyHash()),
		CosigHash: fmt.Sprintf("%08x", c.KeyHash()),
		CosigVkey: vkey,
	}, nil
}

// The reference client's errors, by the name the tests use.
var refusals = map[string]error{
	"stale":            witness.ErrCheckpointStale,
	"rootMismatch":     witness.ErrRootMismatch,
	"unknownLog":       witness.ErrUnknownLog,
	"noValidSignature": witness.ErrNoValidSignature,
	"oldSizeInvalid":   witness.ErrOldSizeInvalid,
	"invalidProof":     witness.ErrInvalidProof,
}

// submit sends one add-checkpoint request with the reference tlog-witness client, to the
// submission prefix in req.URL, and reports the cosignature lines or the client's reading
// of the refusal (for a 409, the size the witness holds).
func submit(req request) (answer, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return answer{}, err
	}
	var proof [][]byte
	for _, p := range req.Proof {
		h, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return answer{}, err
		}
		proof = append(proof, h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := wclient.NewWitness(u, &http.Client{})
	body, size, err := w.Update(ctx, req.OldSize, []byte(req.Note), proof)
	if err != nil {
		for name, known := range refusals {
			if errors.Is(err, known) {
				return answer{OK: false, Refusal: name, Size: size, Error: err.Error()}, nil
			}
		}
		return answer{}, err
	}
	return answer{OK: true, Body: string(body)}, nil
}

// serve runs the reference witness (transparency-dev/witness, in-memory state) for the logs
// whose vkeys are req.LogKeys, cosigning with req.CosignerSkeys[0], on a loopback port. It
// answers {"ok": true, "url": base} (add-checkpoint is at base + "/witness/add-checkpoint",
// where a tdx node serves its own), then serves until its stdin is closed.
func serve(req request) {
	ctx := context.Background()
	logs := map[string]note.Verifier{}
	for _, k := range req.LogKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fail(err)
		}
		logs[v.Name()] = v
	}
	signer, err := fnote.NewSignerForCosignatureV1(req.CosignerSkeys[0])
	if err != nil {
		fail(err)
	}
	w, err := witness.New(ctx, witness.Opts{
		Persistence: inmemory.New(),
		Signers:     []note.Signer{signer},
		VerifierForLog: func(_ context.Context, origin string) (note.Verifier, bool, error) {
			v, ok := logs[origin]
			return v, ok, nil
		},
	})
	if err != nil {
		fail(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /witness/add-checkpoint", witness.NewHTTPHandler(w).AddCheckpoint)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() { _ = http.Serve(listener, mux) }()
	out := answer{OK: true, URL: "http://" + listener.Addr().String()}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}
