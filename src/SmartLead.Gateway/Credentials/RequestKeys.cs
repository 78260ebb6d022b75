namespace SmartLead.Gateway.Credentials;

/// <summary>
/// The keys one request's answer must not carry: every gateway key its attempts were actually sent with (recorded
/// by <see cref="ApiKeyInjectionHandler"/>, so a key rotated while the request was read is scrubbed too), the key in
/// force, and the values the client itself sent as a key. Lives in <c>HttpContext.Features</c> and travels to the
/// forwarder's handlers in the request options.
/// </summary>
internal sealed class RequestKeys
{
    private readonly ApiKeyStore _store;
    private readonly IReadOnlyList<string> _clientValues;

    // Copy-on-write and swapped whole, rather than a list under a lock: every request carries one of these from its
    // start, also while it waits for the budget, and before the first attempt it holds nothing but the shared empty
    // array (attempts add a key or two, so copying costs nothing).
    private string[] _sent = [];
    private Built? _built;

    public RequestKeys(ApiKeyStore store, IReadOnlyList<string> clientValues)
    {
        _store = store;
        _clientValues = clientValues;
    }

    /// <summary>Records the key an attempt is about to carry.</summary>
    public void Sent(string key)
    {
        while (true)
        {
            var sent = Volatile.Read(ref _sent);
            if (Array.IndexOf(sent, key) >= 0
                || ReferenceEquals(Interlocked.CompareExchange(ref _sent, [.. sent, key], sent), sent))
            {
                return;
            }
        }
    }

    /// <summary>What to scrub from the answer, built once per set of keys (and shared between requests when the client sent none).</summary>
    public KeyPatterns Patterns()
    {
        var current = _store.Current;
        var sent = Volatile.Read(ref _sent);
        if (Volatile.Read(ref _built) is { } built && ReferenceEquals(built.Sent, sent) && built.Current == current)
        {
            return built.Patterns;
        }

        List<string> keys = [.. sent];
        if (current is not null && !keys.Contains(current))
        {
            keys.Add(current);
        }

        var patterns = _clientValues.Count == 0 ? _store.PatternsFor(keys) : KeyPatterns.Build(keys, _clientValues);
        Volatile.Write(ref _built, new Built(sent, current, patterns));
        return patterns;
    }

    /// <summary>The patterns and the keys they were built from, replaced together.</summary>
    private sealed record Built(string[] Sent, string? Current, KeyPatterns Patterns);
}
