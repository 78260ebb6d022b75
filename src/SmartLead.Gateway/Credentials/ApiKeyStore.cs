using System.Security.Cryptography;
using System.Text;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Credentials;

/// <summary>
/// Holds the SmartLead key the gateway injects, and swaps it when security rotates it. The key comes from
/// <c>SmartLead:ApiKeyFile</c> when set (re-read on change), else from <c>SmartLead:ApiKey</c>.
/// Each upstream attempt reads <see cref="Current"/> as it leaves (<see cref="ApiKeyInjectionHandler"/>), so an
/// attempt already on its way keeps its key and a retry after a rotation carries the new one.
/// </summary>
internal sealed partial class ApiKeyStore : IDisposable
{
    // Polling the file once a second costs one small read; it catches every way a secret gets replaced
    // (in place, renamed over, Kubernetes' symlink swap), where file watchers miss some of them and each holds one of
    // the few inotify instances a Linux user gets.
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private const int MaxKeyLength = 512;

    private readonly LiveOptions<SmartLeadOptions> _options;
    private readonly SecretRedactor _redactor;
    private readonly TimeProvider _timeProvider;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private string? _current;
    private string? _watchedFile;
    private ITimer? _pollTimer;
    private string? _lastProblem;
    private Tuple<string[], KeyPatterns> _lastPatterns = Tuple.Create(Array.Empty<string>(), KeyPatterns.Empty);

    public ApiKeyStore(LiveOptions<SmartLeadOptions> options, SecretRedactor redactor, TimeProvider timeProvider, GatewayMetrics metrics, ILogger<ApiKeyStore> logger)
    {
        _options = options;
        _redactor = redactor;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        Apply(options.Current);
        options.Changed += Apply;
    }

    /// <summary>The key to inject now; null when none is loaded.</summary>
    public string? Current => Volatile.Read(ref _current);

    /// <summary>First 8 hex digits of the key's SHA-256: enough to tell keys apart in logs, useless to an attacker.</summary>
    public static string Fingerprint(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..8];

    /// <summary>
    /// The scrubbing patterns for these gateway keys. Almost every request asks for the same set (the key in force),
    /// so the last one built is kept: building is far dearer than scanning a small answer.
    /// </summary>
    public KeyPatterns PatternsFor(IReadOnlyList<string> keys)
    {
        var last = Volatile.Read(ref _lastPatterns);
        if (last.Item1.AsSpan().SequenceEqual([.. keys]))
        {
            return last.Item2;
        }

        var built = Tuple.Create(keys.ToArray(), KeyPatterns.Build(keys, []));
        Volatile.Write(ref _lastPatterns, built);
        return built.Item2;
    }

    /// <summary>Reads the key file now (the poll does the same every second).</summary>
    public void ReloadFromFile()
    {
        var file = Volatile.Read(ref _watchedFile);
        if (file is not null)
        {
            LoadFile(file);
        }
    }

    public void Dispose()
    {
        _options.Changed -= Apply;
        StopWatching();
    }

    private void Apply(SmartLeadOptions options)
    {
        lock (_gate)
        {
            if (!string.IsNullOrWhiteSpace(options.ApiKeyFile))
            {
                var file = Path.GetFullPath(options.ApiKeyFile);
                if (file != _watchedFile)
                {
                    StopWatching();
                    _watchedFile = file;
                    StartWatching(file);
                }

                LoadFile(file);
                if (_current is null && !string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    // The file wins once it holds a key; until then a plain key keeps the gateway useful.
                    SetKey(options.ApiKey.Trim(), source: "SmartLead:ApiKey");
                }

                return;
            }

            StopWatching();
            _watchedFile = null;
            if (!string.IsNullOrWhiteSpace(options.ApiKey))
            {
                SetKey(options.ApiKey.Trim(), source: "SmartLead:ApiKey");
            }
        }
    }

    /// <summary>Why <paramref name="text"/> (already trimmed) cannot be a key, or null when it can.</summary>
    internal static string? KeyProblem(string text)
    {
        if (text.Length == 0)
        {
            return "the file is empty";
        }

        // A key is one short token; several lines or a long text means the wrong file (or half a write).
        return text.Length > MaxKeyLength || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            ? "the file does not hold a single key"
            : null;
    }

    private void LoadFile(string file)
    {
        // Read and applied under one lock: the poll and a settings reload can both fire for one rotation, and a read of the
        // old content must never be applied after the new one. A stale callback for a file no longer watched is dropped.
        lock (_gate)
        {
            if (file != _watchedFile)
            {
                return;
            }

            string? text = null;
            string? problem;
            try
            {
                text = File.ReadAllText(file).Trim();
                problem = KeyProblem(text);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problem = ex is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : "the file cannot be read";
            }

            if (problem is not null)
            {
                // Once per distinct problem: the poll would otherwise repeat it every second.
                if (problem != _lastProblem)
                {
                    _lastProblem = problem;
                    Log.KeyFileUnusable(_logger, file, problem, _current is null ? "none" : Fingerprint(_current));
                }

                return;
            }

            _lastProblem = null;
            SetKey(text!, source: "SmartLead:ApiKeyFile");
        }
    }

    private void SetKey(string key, string source)
    {
        if (key == _current)
        {
            return;
        }

        // Registered before it can be used anywhere, so no log line can ever show it.
        _redactor.Register(key);
        var previous = _current;
        Volatile.Write(ref _current, key);
        if (previous is null)
        {
            Log.KeyLoaded(_logger, Fingerprint(key), source);
        }
        else
        {
            _metrics.KeyRotation();
            Log.KeyRotated(_logger, Fingerprint(previous), Fingerprint(key), source);
        }
    }

    private void StartWatching(string file) =>
        _pollTimer = _timeProvider.CreateTimer(_ => LoadFile(file), null, PollInterval, PollInterval);

    private void StopWatching()
    {
        _pollTimer?.Dispose();
        _pollTimer = null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "SmartLead key loaded from {Source}, fingerprint {Fingerprint}")]
        public static partial void KeyLoaded(ILogger logger, string fingerprint, string source);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "SmartLead key rotated from {Source}: fingerprint {OldFingerprint} -> {NewFingerprint}")]
        public static partial void KeyRotated(ILogger logger, string oldFingerprint, string newFingerprint, string source);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "SmartLead key file {KeyFile} is unusable ({Problem}); keeping the key in force, fingerprint {Fingerprint}")]
        public static partial void KeyFileUnusable(ILogger logger, string keyFile, string problem, string fingerprint);
    }
}
