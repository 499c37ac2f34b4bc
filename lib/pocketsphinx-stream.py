"""Streaming speech recognition with CMU PocketSphinx, for voicesocket's `pocketsphinx` engine.

voicesocket decides where utterances start and end (its voice activity detector); this driver
decodes them. stdin carries messages of a 1-byte kind and a 4-byte little-endian length:
  b"S" start an utterance (payload: its id, ASCII)
  b"A" audio: 16 kHz signed 16-bit mono PCM
  b"E" end the utterance: decode what is left and report the final result
stdout carries one JSON object per line: {"type": "ready"}, {"type": "partial", "utterance", "text"}
while an utterance forms, {"type": "final", "utterance", "text", "words": [{"word", "start", "end"}]}
with times in seconds from the utterance's first sample, and {"type": "error", ...} before exiting.
A grammar (--choices "sales|support|operator") restricts what can be recognised: the menu mode.

Final results: PocketSphinx normalises each frame by the cepstral mean of the line (the caller's
channel and voice). Decoding an utterance streamed, that mean is estimated as the audio comes, from
the model's generic guess at first, and carried over to the next utterance; decoding it whole
(full_utt) takes the utterance's own mean, as the model was trained — in a decoder that has never
streamed: once one has, PocketSphinx keeps normalising by the running mean, whole decodes too, so
whole finals have a decoder of their own. The streamed pass's running mean starts at the model's
generic guess weighted as 500 frames (sphinxbase cmn_prior): after 2 s of a call's speech it is
still mostly that guess. So, --finals:
  whole (default in free-form mode): always a whole decode at the end (one decode more per
           utterance when interim results are streamed; measured in docs/speech.md, "Accuracy and cost");
  adaptive: the utterance is decoded whole for its final until PRIMED_MS of speech have
           been streamed on this line, the streamed pass's own result after that; in menu mode
           (--choices), streamed;
  streamed: always the streamed pass's own result (the cheapest; menu mode's default).
The streamed pass runs only when partial results are asked for (--partial-ms > 0) or finals are
streamed; without it each utterance is decoded once, whole.

The streamed pass searches narrower than PocketSphinx's defaults (SEARCH): about half the decoding
work. Whole finals keep PocketSphinx's own search: the narrow one was chosen on one part of
bench/data/speech-dev, where it cost 2 words of 308, and it cost 20 words of 308 on the other part
(docs/speech.md, "Accuracy and cost").

Why a Python driver: Debian's pocketsphinx_continuous prints only final results and finds utterance
ends itself (its endpointer misses the first words after digital silence); the library, through
Debian's python3-pocketsphinx, gives partial hypotheses and word times for utterances we delimit.
Running it as a child process keeps a crash or a stall of the engine inside one call.
"""
import argparse
import json
import os
import struct
import sys
import tempfile

RATE = 16000
# -fwdflat no: no second, flat-lexicon pass; -bestpath no: no lattice search at the end of each
# utterance; -maxhmmpf 3000: at most 3000 active HMMs per frame (PocketSphinx's own advice for
# speed). -topn 2 was also tried: it lost "sales" in menu mode.
SEARCH = {"-fwdflat": False, "-bestpath": False, "-maxhmmpf": 3000}
# Whole decodes without dither. PocketSphinx's dither draws from one random generator for the whole
# process, seeded once: a whole final then depended on how much audio the streamed pass (or earlier
# utterances) had dithered before it, and on an 8 kHz call, brought up to 16 kHz with nothing above
# 4 kHz, the dither is all there is in the upper filters. Measured on bench/data/speech-dev at 8 kHz
# (docs/speech.md, "Dither"): with it the same files came out at 343 to 359 word errors of 616 as the
# draws fell, without it 344 whether interim results streamed or not. Digital silence still needs
# something to take a log of (a second of zeros decoded whole without dither came out as "dog"):
# whole decodes get a dither of our own there only (fill_digital_silence), the same every time.
WHOLE = {"-dither": False}
# 10 ms at 16 kHz: runs of exact zeros this long are digital silence (a line never is).
SILENCE_BYTES = 320
ZEROS = bytes(SILENCE_BYTES)


def _dither(length, seed=1):
    # As PocketSphinx dithers (+1 on about one sample in four), from a fixed seed: 1 s of it, so the
    # filling has no 10 ms period.
    out = bytearray(length)
    for i in range(0, length, 2):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        if (seed >> 16) % 4 == 0:
            out[i] = 1
    return bytes(out)


DITHER = _dither(RATE * 2)


def fill_digital_silence(audio):
    """The utterance with each 10 ms of exact zeros replaced by a fixed dither; unchanged otherwise."""
    if ZEROS not in audio:
        return audio
    out = bytearray(audio)
    for at in range(0, len(out) - SILENCE_BYTES + 1, SILENCE_BYTES):
        if out[at:at + SILENCE_BYTES] == ZEROS:
            start = at % len(DITHER)
            out[at:at + SILENCE_BYTES] = DITHER[start:start + SILENCE_BYTES]
    return bytes(out)
# Streamed speech after which the line's cepstral mean is known well enough for streamed finals.
PRIMED_MS = 2000


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def grammar_for(choices):
    # Each choice is a phrase of dictionary words; any choice may be followed by "please".
    alternatives = " | ".join("( %s )" % choice for choice in choices)
    return "#JSGF V1.0;\ngrammar menu;\npublic <menu> = ( %s ) [ please ];\n" % alternatives


def read_exact(stream, count):
    data = b""
    while len(data) < count:
        chunk = stream.read(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def apply(config, settings):
    for name, value in settings.items():
        if isinstance(value, bool):
            config.set_boolean(name, value)
        elif isinstance(value, int):
            config.set_int(name, value)
        elif isinstance(value, float):
            config.set_float(name, value)
        else:
            config.set_string(name, str(value))


def make_decoder(Decoder, model, choices, settings):
    config = Decoder.default_config()
    config.set_string("-hmm", os.path.join(model, "en-us"))
    config.set_string("-dict", os.path.join(model, "cmudict-en-us.dict"))
    config.set_string("-logfn", "/dev/null")
    # Utterances arrive already delimited: keep every frame, so word times are exact.
    config.set_boolean("-remove_silence", False)
    # The streamed pass dithers: digital silence (a muted line, a synthesised caller) has no energy to
    # take a log of. Whole decodes do not (WHOLE, above).
    config.set_boolean("-dither", True)
    apply(config, settings)
    if not choices:
        config.set_string("-lm", os.path.join(model, "en-us.lm.bin"))
        return Decoder(config), config
    grammar = tempfile.NamedTemporaryFile("w", suffix=".gram", delete=False)
    try:
        grammar.write(grammar_for(choices))
        grammar.close()
        config.set_string("-jsgf", grammar.name)
        return Decoder(config), config
    finally:
        os.unlink(grammar.name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="/usr/share/pocketsphinx/model/en-us")
    parser.add_argument("--choices", default="", help="phrases separated by |: menu mode")
    parser.add_argument("--partial-ms", type=int, default=200, help="0: no partial results, no streamed pass")
    parser.add_argument("--finals", choices=["adaptive", "whole", "streamed"], default=None,
                        help="default: whole in free-form mode, streamed in menu mode")
    parser.add_argument("--config", default="", help='PocketSphinx settings as JSON, over SEARCH for the streamed pass and over PocketSphinx\'s defaults for whole decodes: {"-beam": 1e-60}')
    args = parser.parse_args()

    try:
        from pocketsphinx import Decoder
    except ImportError as error:
        emit({"type": "error", "code": "missing", "message": "python3-pocketsphinx is not installed (%s)" % error})
        return 3
    if not os.path.isdir(os.path.join(args.model, "en-us")):
        emit({"type": "error", "code": "missing", "message": "no acoustic model in %s (pocketsphinx-en-us)" % args.model})
        return 3
    choices = [c.strip().lower() for c in args.choices.split("|") if c.strip()]
    partial_bytes = args.partial_ms * RATE * 2 // 1000
    # Menu mode keeps streamed finals: decoded whole, noise that is no words at all came out as the
    # nearest choice (a grammar always has an answer once the mean is the utterance's own; a test of
    # the voice-menu app caught it), and the voice-menu benchmark routed 69 of 72 callers right,
    # against 71 in its last run with streamed finals (docs/benchmarks.md).
    finals = args.finals or ("streamed" if choices else "whole")
    if choices and finals == "adaptive":
        finals = "streamed"
    streaming = partial_bytes > 0 or finals == "streamed"
    overrides = json.loads(args.config) if args.config else {}
    # The streamed pass searches narrow; a decoder that only decodes whole keeps PocketSphinx's search.
    whole_settings = dict(WHOLE, **overrides)
    try:
        settings = dict(SEARCH, **overrides) if streaming else whole_settings
        decoder, config = make_decoder(Decoder, args.model, choices, settings)
    except Exception as error:  # a word missing from the dictionary, a broken model, a bad setting
        emit({"type": "error", "code": "init", "message": str(error)})
        return 2
    frame_rate = config.get_int("-frate")
    # Bytes of speech the streamed pass has decoded on this line (the cepstral mean's evidence).
    streamed_bytes = 0
    primed_bytes = PRIMED_MS * RATE * 2 // 1000
    emit({"type": "ready"})
    # Whole finals' decoder: never the streaming one (below, at the whole decode). A second model in
    # memory (about 90 MB: 190 against 100 MB private for the driver, measured), for the call with
    # whole finals, until primed with adaptive ones; made after "ready" (the start bound is the first
    # model's), while the first audio waits in the pipe.
    whole_decoder = decoder
    if streaming and finals != "streamed":
        whole_decoder = make_decoder(Decoder, args.model, choices, whole_settings)[0]

    stdin = sys.stdin.buffer
    utterance = None
    audio = bytearray()
    fed = 0
    last_partial_at = 0
    last_partial = ""
    while True:
        header = read_exact(stdin, 5)
        if header is None:
            break
        kind, length = header[:1], struct.unpack("<I", header[1:])[0]
        payload = read_exact(stdin, length) if length else b""
        if payload is None:
            break
        if kind == b"S":
            if utterance is not None and streaming:
                decoder.end_utt()
            utterance = payload.decode("ascii")
            audio = bytearray()
            fed = last_partial_at = 0
            last_partial = ""
            if streaming:
                decoder.start_utt()
        elif kind == b"A" and utterance is not None:
            audio += payload
            if not streaming:
                continue
            decoder.process_raw(payload, False, False)
            fed += len(payload)
            if partial_bytes and fed - last_partial_at >= partial_bytes:
                last_partial_at = fed
                hyp = decoder.hyp()
                text = hyp.hypstr if hyp else ""
                if text and text != last_partial:
                    last_partial = text
                    emit({"type": "partial", "utterance": utterance, "text": text})
        elif kind == b"E" and utterance is not None:
            whole = not streaming or finals == "whole" or (finals == "adaptive" and streamed_bytes < primed_bytes)
            if streaming:
                decoder.end_utt()
                streamed_bytes += len(audio)
            if whole:
                # Never the streaming decoder: once a decoder has streamed, PocketSphinx normalises
                # every later utterance by its running mean, whole ones too (feat_cmn switches the
                # decoder to CMN_PRIOR for good), and that mean starts from the model's generic
                # guess, worth 500 frames: a whole decode of a call's first utterances was not
                # whole at all. A decoder that only decodes whole takes each utterance's own mean.
                whole_decoder.start_utt()
                if audio:
                    whole_decoder.process_raw(fill_digital_silence(bytes(audio)), False, True)
                whole_decoder.end_utt()
            results = whole_decoder if whole else decoder
            if finals == "adaptive" and streamed_bytes >= primed_bytes and whole_decoder is not decoder and not whole:
                whole_decoder = decoder  # no whole decode again on this line: its model's memory goes
            audio = bytearray()
            segments = list(results.seg())
            # Frame numbers do not restart with each utterance: count from its first segment.
            origin = segments[0].start_frame if segments else 0
            words = []
            for seg in segments:
                # Alternate pronunciations are spelled word(2); fillers are <s>, <sil>, [NOISE], (NULL).
                word = seg.word.split("(")[0]
                if not word or word[0] in "<[+":
                    continue
                words.append({"word": word, "start": (seg.start_frame - origin) / frame_rate,
                              "end": (seg.end_frame + 1 - origin) / frame_rate})
            emit({"type": "final", "utterance": utterance, "text": " ".join(w["word"] for w in words), "words": words})
            utterance = None
    emit({"type": "closed"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
