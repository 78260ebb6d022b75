using System.Security.Cryptography;
using System.Text;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Clients;

/// <summary>
/// The clients in force and the one place a presented key is checked. Follows reloads of <see cref="ClientsOptions"/>:
/// a revoked client's next request is refused.
/// </summary>
internal sealed partial class ClientRegistry : IDisposable
{
    private readonly LiveOptions<ClientsOptions> _options;
    private readonly ILogger<ClientRegistry> _logger;
    private Entry[] _entries;

    /// <summary>
    /// Once any client has been listed, the gateway stays closed: a reload that empties the list (a file removed or
    /// renamed mid-swap, or every client revoked) refuses every call instead of opening the gateway to anyone. Only a
    /// restart with no client listed opens it again.
    /// </summary>
    private bool _closed;

    public ClientRegistry(LiveOptions<ClientsOptions> options, ILogger<ClientRegistry> logger)
    {
        _options = options;
        _logger = logger;
        _entries = Build(options.Current);
        _closed = _entries.Length > 0;
        options.Changed += OnChanged;
    }

    /// <summary>
    /// False while no client has been configured since start: the gateway is open and asks for no client key. Once a
    /// client is listed it stays true, even if a reload empties the list (then every call is refused).
    /// </summary>
    public bool IsEnforcing => Volatile.Read(ref _closed);

    /// <summary>The configured names, for the status page.</summary>
    public IReadOnlyList<string> Names => [.. Volatile.Read(ref _entries).Select(e => e.Client.Name)];

    public void Dispose() => _options.Changed -= OnChanged;

    /// <summary>The client whose key this is, or null.</summary>
    /// <remarks>
    /// The presented key is hashed first and every configured hash is compared in full with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/>, with no early exit, so neither the time taken nor which
    /// entry matched says anything about how close a guess came.
    /// </remarks>
    public RegisteredClient? Identify(ReadOnlySpan<char> presentedKey)
    {
        var entries = Volatile.Read(ref _entries);
        if (entries.Length == 0 || presentedKey.IsEmpty || presentedKey.Length > ClientKeys.MaxKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        ClientKeys.Hash(presentedKey, hash);
        RegisteredClient? match = null;
        foreach (var entry in entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, entry.Hash))
            {
                match = entry.Client;
            }
        }

        return match;
    }

    /// <summary>Says at start that the gateway is open, when it is.</summary>
    public void WarnIfOpen()
    {
        if (!IsEnforcing)
        {
            Log.Open(_logger);
        }
    }

    private void OnChanged(ClientsOptions options)
    {
        var before = Volatile.Read(ref _entries).Length;
        var entries = Build(options);
        Volatile.Write(ref _entries, entries);
        if (entries.Length > 0)
        {
            Volatile.Write(ref _closed, true);
        }

        if (entries.Length == 0 && before > 0)
        {
            Log.NoClientLeft(_logger);
        }
        else if (entries.Length != before)
        {
            Log.ClientsChanged(_logger, entries.Length);
        }
    }

    private static Entry[] Build(ClientsOptions options) =>
        [.. options.Where(c => c?.Name is not null && c.KeySha256 is not null)
            .Select(c => new Entry(new RegisteredClient(c.Name!, c.Weight, c.QueueLimit, c.MaxShare), Convert.FromHexString(c.KeySha256!)))];

    private sealed record Entry(RegisteredClient Client, byte[] Hash);

    private static partial class Log
    {
        [LoggerMessage(EventId = 8101, Level = LogLevel.Warning,
            Message = "No client is configured (Clients is empty): anyone who can reach the gateway can spend the SmartLead key. List clients with their key hashes to require a client key.")]
        public static partial void Open(ILogger logger);

        [LoggerMessage(EventId = 8103, Level = LogLevel.Error,
            Message = "No client is listed any more: every /api call is refused with 401 until clients are listed again (restart with an empty Clients list to open the gateway)")]
        public static partial void NoClientLeft(ILogger logger);

        [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Clients reloaded: {Count} client(s) may call the gateway")]
        public static partial void ClientsChanged(ILogger logger, int count);
    }
}

/// <summary>A configured client as the budget needs it: who, and its share of a contended budget.</summary>
internal sealed record RegisteredClient(string Name, int Weight, int? QueueLimit, double? MaxShare)
{
    /// <summary>
    /// The identity of a call from this client that names no wait of its own (most do), made once: every request
    /// keeps its identity for its whole life, so a shared immutable one is an object less per waiting request.
    /// </summary>
    public ClientIdentity Identity { get; } = new(Name, Weight, QueueLimit, MaxShare, null);
}

/// <summary>How client keys are hashed and made; shared by the registry and the <c>hash-client-key</c> command.</summary>
internal static class ClientKeys
{
    /// <summary>Longer keys are refused before hashing, so a huge header costs nothing.</summary>
    public const int MaxKeyLength = 512;

    public static void Hash(ReadOnlySpan<char> key, Span<byte> destination)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxKeyLength)];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..length], destination);
    }

    public static string HashToHex(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(key, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>A new key: 32 random bytes, base64url, no padding (43 characters, safe in any header).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
