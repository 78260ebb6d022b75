namespace SmartLead.Gateway.Credentials;

/// <summary>
/// The keys one request's answer must not carry: every gateway key its attempts were actually sent with (recorded
/// by <see cref="ApiKeyInjectionHandler"/>, so a key rotated while the request was read is scrubbed too), the key in
/// force, and the values the client itself sent as a key. Lives in <c>HttpContext.Features</c> and travels to the
/// forwarder's handlers in the request options.
/// </summary>
internal sealed class RequestKeys
{
    public static readonly HttpRequestOptionsKey<RequestKeys> OptionKey = new("SmartLead.Gateway.RequestKeys");

    private readonly ApiKeyStore _store;
    private readonly IReadOnlyList<string> _clientValues;
    private readonly Lock _gate = new();
    private readonly List<string> _sent = [];
    private KeyPatterns? _patterns;
    private string? _patternsCurrent;

    public RequestKeys(ApiKeyStore store, IReadOnlyList<string> clientValues)
    {
        _store = store;
        _clientValues = clientValues;
    }

    /// <summary>Records the key an attempt is about to carry.</summary>
    public void Sent(string key)
    {
        lock (_gate)
        {
            if (!_sent.Contains(key))
            {
                _sent.Add(key);
                _patterns = null;
            }
        }
    }

    /// <summary>What to scrub from the answer, built once per set of keys (and shared between requests when the client sent none).</summary>
    public KeyPatterns Patterns()
    {
        var current = _store.Current;
        lock (_gate)
        {
            if (_patterns is not null && _patternsCurrent == current)
            {
                return _patterns;
            }

            List<string> keys = [.. _sent];
            if (current is not null && !keys.Contains(current))
            {
                keys.Add(current);
            }

            _patternsCurrent = current;
            return _patterns = _clientValues.Count == 0 ? _store.PatternsFor(keys) : KeyPatterns.Build(keys, _clientValues);
        }
    }
}
