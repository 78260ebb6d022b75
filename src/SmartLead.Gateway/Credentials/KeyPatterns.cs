using System.Text;

namespace SmartLead.Gateway.Credentials;

/// <summary>
/// Every form in which a server could write a key back, compiled once into one automaton (Aho–Corasick over the
/// key bytes, case folded), so finding 1 or 500 keys in an answer costs one pass over it. What counts as the key:
/// <list type="bullet">
/// <item>the key as is, in any letter case;</item>
/// <item>percent-encoded (either case of hex digits) and JSON-escaped (<c>\/</c>, <c>\uXXXX</c> for any character),
/// in any mix: the <see cref="KeyScanner"/> decodes these escapes on the fly and the automaton sees the characters;</item>
/// <item>for the gateway's own keys, any fragment of <see cref="FragmentLength"/> characters or more (a server that
/// quotes a truncated URL must not hand out most of the key); a client's own values are matched whole.</item>
/// </list>
/// Immutable once built: shared by every request that scrubs the same keys.
/// </summary>
internal sealed class KeyPatterns
{
    /// <summary>Values shorter than this are too common to scrub (and no real key is that short).</summary>
    public const int MinimumLength = 4;

    public static readonly KeyPatterns Empty = Build([], []);

    private readonly int[] _classOf = new int[256];
    private readonly int _classes;
    private readonly int[] _next;
    private readonly int[] _match;
    private readonly int[] _depth;
    private readonly int _shortest;

    private KeyPatterns(List<byte[]> patterns)
    {
        var classes = 1;
        foreach (var pattern in patterns)
        {
            foreach (var b in pattern)
            {
                if (_classOf[b] == 0)
                {
                    _classOf[b] = classes++;
                }
            }
        }

        _classes = classes;

        // The trie, then breadth-first failure links folded into a full transition table: one lookup per character.
        var next = new List<int[]> { new int[classes] };
        var match = new List<int> { 0 };
        var depth = new List<int> { 0 };
        foreach (var pattern in patterns)
        {
            var state = 0;
            foreach (var b in pattern)
            {
                var c = _classOf[b];
                if (next[state][c] == 0)
                {
                    next[state][c] = next.Count;
                    next.Add(new int[classes]);
                    match.Add(0);
                    depth.Add(depth[state] + 1);
                }

                state = next[state][c];
            }

            match[state] = Math.Max(match[state], pattern.Length);
        }

        var fail = new int[next.Count];
        var queue = new Queue<int>();
        for (var c = 1; c < classes; c++)
        {
            if (next[0][c] != 0)
            {
                queue.Enqueue(next[0][c]);
            }
        }

        while (queue.Count > 0)
        {
            var state = queue.Dequeue();
            match[state] = Math.Max(match[state], match[fail[state]]);
            for (var c = 1; c < classes; c++)
            {
                var child = next[state][c];
                if (child != 0)
                {
                    fail[child] = next[fail[state]][c];
                    queue.Enqueue(child);
                }
                else
                {
                    next[state][c] = next[fail[state]][c];
                }
            }
        }

        _next = new int[next.Count * classes];
        for (var s = 0; s < next.Count; s++)
        {
            next[s].CopyTo(_next, s * classes);
        }

        _match = [.. match];
        _depth = [.. depth];
        MaxDepth = Math.Max(1, _depth.Max());
        IsEmpty = patterns.Count == 0;
        _shortest = patterns.Count == 0 ? 0 : patterns.Min(pattern => pattern.Length);
    }

    /// <summary>True when there is nothing to find (no key loaded and no client value).</summary>
    public bool IsEmpty { get; }

    /// <summary>The longest pattern, in characters: the most a scanner ever holds back.</summary>
    public int MaxDepth { get; }

    /// <summary>
    /// The shortest fragment of a gateway key that is masked: 12 characters or half the key, whichever is shorter,
    /// but never under 8 (or the whole key when it is shorter), so common words are not masked.
    /// </summary>
    public static int FragmentLength(int keyLength) => Math.Min(keyLength, Math.Max(8, Math.Min(12, keyLength / 2)));

    /// <param name="gatewayKeys">Keys the gateway sends: matched whole and by fragment.</param>
    /// <param name="clientValues">Values a client sent as a key: matched whole.</param>
    public static KeyPatterns Build(IEnumerable<string> gatewayKeys, IEnumerable<string> clientValues)
    {
        var patterns = new List<byte[]>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in gatewayKeys)
        {
            foreach (var form in Views(key))
            {
                var length = FragmentLength(form.Length);
                for (var i = 0; i + length <= form.Length; i++)
                {
                    Add(form.Substring(i, length));
                }
            }
        }

        foreach (var value in clientValues)
        {
            foreach (var form in Views(value))
            {
                Add(form);
            }
        }

        return new KeyPatterns(patterns);

        void Add(string folded)
        {
            if (folded.Length >= MinimumLength && seen.Add(folded))
            {
                patterns.Add(Encoding.Latin1.GetBytes(folded));
            }
        }
    }

    /// <summary>
    /// The key as the scanner sees it: its UTF-8 bytes case folded, decoded once (a key that itself holds <c>%41</c>
    /// or <c>\u0041</c> reaches the automaton as <c>a</c>), and percent-encoded (seen through a double encoding).
    /// </summary>
    private static IEnumerable<string> Views(string key)
    {
        if (key.Length < MinimumLength)
        {
            yield break;
        }

        var raw = Encoding.UTF8.GetBytes(key);
        var folded = Fold(raw);
        yield return folded;
        var decoded = new StringBuilder();
        foreach (var unit in KeyScanner.Decode(raw))
        {
            decoded.Append((char)KeyScanner.FoldUnit(unit));
        }

        if (decoded.ToString() != folded)
        {
            yield return decoded.ToString();
        }

        // Percent-encoded once more than the scanner decodes (a server that escapes a URL already escaped shows
        // "a%2Bb" as "a%252Bb"; decoded once, that is the encoded key).
        var encoded = Fold(Encoding.UTF8.GetBytes(Uri.EscapeDataString(key)));
        if (encoded != folded)
        {
            yield return encoded;
        }
    }

    private static string Fold(byte[] raw)
    {
        var chars = new char[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            chars[i] = (char)KeyScanner.FoldUnit(raw[i]);
        }

        return new string(chars);
    }

    /// <summary>
    /// <paramref name="text"/> with every covered form of the keys overwritten by as many <c>*</c> as it has
    /// characters; the same instance when there is none (the common case allocates nothing but the scanner).
    /// </summary>
    public string Scrub(string text)
    {
        if (IsEmpty || string.IsNullOrEmpty(text) || !MayHoldKey(text))
        {
            return text;
        }

        var scanner = KeyScanner.ForSynchronousUse(this);
        for (var i = 0; i < text.Length; i++)
        {
            scanner.Feed(text[i], i);
        }

        scanner.Complete(text.Length);
        if (scanner.Masks.Count == 0)
        {
            return text;
        }

        var chars = text.ToCharArray();
        foreach (var (start, end) in scanner.Masks)
        {
            chars.AsSpan((int)start, (int)(end - start)).Fill('*');
        }

        return new string(chars);
    }

    /// <summary>
    /// The check almost every text passes (each header of each answer, each string in each log event): false when
    /// <paramref name="text"/> holds no key in any covered form. Without a <c>%</c> or a <c>\</c> there is no escape to
    /// decode, so the scanner's raw and decoded views are one and the same run of the automaton, done here in a tight
    /// loop; true sends the text to the full scanner, which also finds where to mask.
    /// </summary>
    private bool MayHoldKey(ReadOnlySpan<char> text)
    {
        // A text shorter than every pattern holds none, escaped or not (most header names and many values).
        if (text.Length < _shortest)
        {
            return false;
        }

        return text.IndexOfAny('%', '\\') >= 0 || RunHoldsKey(text);
    }

    private bool RunHoldsKey(ReadOnlySpan<char> run)
    {
        var state = 0;
        foreach (var c in run)
        {
            state = Step(state, KeyScanner.FoldUnit(c));
            if (_match[state] > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="text"/> holds a covered form of a key.</summary>
    public bool IsFoundIn(string? text) => !string.IsNullOrEmpty(text) && !ReferenceEquals(Scrub(text), text);

    /// <summary>The automaton's next state for a decoded, folded character (any value; above 255 matches nothing).</summary>
    internal int Step(int state, int unit) =>
        _next[(state * _classes) + (unit < 256 ? _classOf[unit] : 0)];

    /// <summary>Length of the longest pattern that ends in <paramref name="state"/>, or 0.</summary>
    internal int MatchLength(int state) => _match[state];

    /// <summary>How many of the last characters <paramref name="state"/> stands for (a partial match in progress).</summary>
    internal int Depth(int state) => _depth[state];
}
