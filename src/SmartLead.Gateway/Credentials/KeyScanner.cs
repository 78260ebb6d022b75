namespace SmartLead.Gateway.Credentials;

/// <summary>
/// One pass over output (bytes of a body, characters of a header) in search of <see cref="KeyPatterns"/>. The input
/// is fed one unit at a time with its position; escapes a server writes (<c>%4A</c>, <c>%4a</c>, <c>\/</c>,
/// <c>\u004A</c>) are decoded on the fly, so the automaton sees characters, and every match is reported as the raw
/// range to overwrite. The raw text is matched as well as the decoded one (<c>\u322client-key</c> is a key to a
/// person reading it, though a JSON reader sees <c>\u322c</c>). The state carries over between feeds, so a key split across writes is found too, and
/// <see cref="HoldFrom"/> says how little must wait for the next write: only a trailing partial match.
/// </summary>
internal sealed class KeyScanner
{
    private const int None = 0;
    private const int Percent = 1;
    private const int PercentHex = 2;
    private const int Backslash = 3;
    private const int Unicode = 4; // 4..7: after \u and 0..3 hex digits

    private readonly KeyPatterns _patterns;
    private readonly long[] _starts;
    private readonly int[] _escapeChars = new int[6];
    private readonly List<int>? _decoded;
    private int _head;
    private int _state;
    private int _rawState;
    private long _rawEnd;
    private int _escape;
    private int _escapeCount;
    private int _escapeValue;
    private long _escapeStart;

    public KeyScanner(KeyPatterns patterns)
        : this(patterns, decoded: null)
    {
    }

    private KeyScanner(KeyPatterns patterns, List<int>? decoded)
    {
        _patterns = patterns;
        _starts = new long[patterns.MaxDepth];
        _decoded = decoded;
    }

    /// <summary>
    /// A scanner over <paramref name="patterns"/> to use and drop within one synchronous call (no await in between):
    /// each thread keeps the last one it used, reset, because text checks (every log property, every answer header)
    /// run many times per request and a fresh scanner is an object, a list and a ring of MaxDepth positions each.
    /// </summary>
    internal static KeyScanner ForSynchronousUse(KeyPatterns patterns)
    {
        // Two kept per thread: the log's patterns and an answer's take turns on the same threads, and one slot
        // would make every turn a new scanner.
        if (t_cached is { } first && ReferenceEquals(first._patterns, patterns))
        {
            first.Reset();
            return first;
        }

        if (t_cachedOther is { } second && ReferenceEquals(second._patterns, patterns))
        {
            second.Reset();
            (t_cached, t_cachedOther) = (second, t_cached);
            return second;
        }

        t_cachedOther = t_cached;
        return t_cached = new KeyScanner(patterns);
    }

    [ThreadStatic]
    private static KeyScanner? t_cached;

    [ThreadStatic]
    private static KeyScanner? t_cachedOther;

    /// <summary>
    /// Back to the state of a new scanner. The ring of starts keeps old values, but a match of length n needs n units
    /// fed since the reset, so none of them is ever read.
    /// </summary>
    private void Reset()
    {
        _head = 0;
        _state = 0;
        _rawState = 0;
        _rawEnd = 0;
        _escape = None;
        _escapeCount = 0;
        _escapeValue = 0;
        _escapeStart = 0;
        Masks.Clear();
    }

    /// <summary>Raw ranges [start, end) that hold a key, merged where they touch.</summary>
    public List<(long Start, long End)> Masks { get; } = [];

    /// <summary>The characters a server's escapes stand for (used to see a key as the scanner sees it).</summary>
    public static List<int> Decode(ReadOnlySpan<byte> raw)
    {
        var decoded = new List<int>(raw.Length);
        var scanner = new KeyScanner(KeyPatterns.Empty, decoded);
        for (var i = 0; i < raw.Length; i++)
        {
            scanner.Feed(raw[i], i);
        }

        scanner.Complete(raw.Length);
        return decoded;
    }

    /// <summary>ASCII letters folded to lower case; nothing else changes (keys are compared without regard to case).</summary>
    public static int FoldUnit(int unit) => unit is >= 'A' and <= 'Z' ? unit + 32 : unit;

    /// <summary>
    /// Feeds a run of raw bytes that starts at <paramref name="position"/>: the same as feeding them one by one, but
    /// the stretches with no escape in sight (no <c>%</c>, no <c>\</c>, both views in step), which are nearly all of an
    /// answer, go through the automaton in one tight loop.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> data, long position)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_escape == None && _state == _rawState && _decoded is null)
            {
                var rest = data[i..];
                var stop = rest.IndexOfAny((byte)'%', (byte)'\\');
                var run = stop < 0 ? rest : rest[..stop];
                FeedPlain(run, position + i);
                i += run.Length;
                if (stop < 0)
                {
                    return;
                }
            }

            Feed(data[i], position + i);
            i++;
        }
    }

    /// <summary>
    /// A run with no escape character, fed while both views are in step: each byte is its own unit at its own
    /// position, so the ring of unit starts needs only its last entries at the end, and a match reaching back before
    /// the run takes the older starts from the ring as it stood.
    /// </summary>
    private void FeedPlain(ReadOnlySpan<byte> run, long position)
    {
        var state = _state;
        for (var k = 0; k < run.Length; k++)
        {
            state = _patterns.Step(state, FoldUnit(run[k]));
            if (_patterns.MatchLength(state) is var length and > 0)
            {
                var end = position + k + 1;
                var inRun = k + 1;
                AddMask(end - length, end);
                AddMask(length <= inRun ? end - length : Start(length - inRun), end);
            }
        }

        var kept = Math.Min(run.Length, _starts.Length);
        for (var k = run.Length - kept; k < run.Length; k++)
        {
            Push(position + k);
        }

        _state = _rawState = state;
        if (!run.IsEmpty)
        {
            _rawEnd = position + run.Length;
        }
    }

    /// <summary>Feeds one raw unit (a byte, or a character) found at <paramref name="position"/>.</summary>
    public void Feed(int value, long position)
    {
        if (_escape == None && _state == _rawState && value != '%' && value != '\\')
        {
            // The common case: no escape in sight and both views in step, so one step serves both.
            var folded = FoldUnit(value);
            _decoded?.Add(folded);
            Push(position);
            _state = _rawState = _patterns.Step(_state, folded);
            _rawEnd = position + 1;
            if (_patterns.MatchLength(_state) is var length and > 0)
            {
                AddMask(_rawEnd - length, _rawEnd);
                AddMask(Start(length), _rawEnd);
            }

            return;
        }

        _rawState = _patterns.Step(_rawState, FoldUnit(value));
        _rawEnd = position + 1;
        if (_patterns.MatchLength(_rawState) is var rawLength and > 0)
        {
            AddMask(_rawEnd - rawLength, _rawEnd);
        }

        Decoded(value, position);
    }

    private void Decoded(int value, long position)
    {
        switch (_escape)
        {
            case None:
                if (value == '%' || value == '\\')
                {
                    _escape = value == '%' ? Percent : Backslash;
                    _escapeStart = position;
                    _escapeCount = 1;
                    _escapeChars[0] = value;
                    _escapeValue = 0;
                    return;
                }

                Unit(value, position, position + 1);
                return;
            case Percent or Unicode or Unicode + 1 or Unicode + 2:
                if (Hex(value) is var digit and >= 0)
                {
                    Hold(value, digit);
                    return;
                }

                break;
            case PercentHex or Unicode + 3:
                if (Hex(value) is var last and >= 0)
                {
                    _escape = None;
                    Unit((_escapeValue * 16) + last, _escapeStart, position + 1);
                    return;
                }

                break;
            case Backslash:
                if (value == 'u')
                {
                    _escape = Unicode;
                    _escapeChars[_escapeCount++] = value;
                    return;
                }

                var simple = value switch
                {
                    '"' or '\\' or '/' => value,
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => -1,
                };
                if (simple >= 0)
                {
                    _escape = None;
                    Unit(simple, _escapeStart, position + 1);
                    return;
                }

                break;
        }

        // Not an escape after all: what was held is plain text, and this unit starts afresh.
        ReleaseEscape();
        Decoded(value, position);
    }

    /// <summary>The input has ended at <paramref name="end"/>: an unfinished escape is plain text.</summary>
    public void Complete(long end)
    {
        _ = end;
        ReleaseEscape();
    }

    /// <summary>
    /// The first position that may still turn out to be part of a key (a partial match or an unfinished escape);
    /// everything before it can go to the client. <paramref name="end"/> when nothing is pending.
    /// </summary>
    public long HoldFrom(long end)
    {
        var from = _escape != None ? _escapeStart : end;
        var depth = _patterns.Depth(_state);
        if (depth > 0)
        {
            from = Math.Min(from, Start(depth));
        }

        return Math.Min(from, _rawEnd - _patterns.Depth(_rawState));
    }

    private static int Hex(int value) => value switch
    {
        >= '0' and <= '9' => value - '0',
        >= 'a' and <= 'f' => value - 'a' + 10,
        >= 'A' and <= 'F' => value - 'A' + 10,
        _ => -1,
    };

    private void Hold(int value, int digit)
    {
        _escapeChars[_escapeCount++] = value;
        _escapeValue = (_escapeValue * 16) + digit;
        _escape++;
    }

    private void ReleaseEscape()
    {
        if (_escape == None)
        {
            return;
        }

        _escape = None;
        for (var i = 0; i < _escapeCount; i++)
        {
            Unit(_escapeChars[i], _escapeStart + i, _escapeStart + i + 1);
        }
    }

    private void Unit(int value, long start, long end)
    {
        var folded = FoldUnit(value);
        _decoded?.Add(folded);
        Push(start);
        _state = _patterns.Step(_state, folded);
        var length = _patterns.MatchLength(_state);
        if (length == 0)
        {
            return;
        }

        AddMask(Start(length), end);
    }

    /// <summary>Records where the unit just decoded began (a ring of the last <see cref="KeyPatterns.MaxDepth"/>).</summary>
    private void Push(long start)
    {
        _starts[_head] = start;
        _head = _head + 1 == _starts.Length ? 0 : _head + 1;
    }

    /// <summary>Where the unit <paramref name="back"/> units ago (1 = the last one) began.</summary>
    private long Start(int back)
    {
        var index = _head - back;
        return _starts[index < 0 ? index + _starts.Length : index];
    }

    private void AddMask(long start, long end)
    {
        if (Masks.Count > 0 && Masks[^1].End >= start && Masks[^1].Start <= end)
        {
            Masks[^1] = (Math.Min(Masks[^1].Start, start), Math.Max(Masks[^1].End, end));
        }
        else
        {
            Masks.Add((start, end));
        }
    }
}
