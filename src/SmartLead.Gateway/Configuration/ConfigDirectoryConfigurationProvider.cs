namespace SmartLead.Gateway.Configuration;

/// <summary>
/// Every <c>*.json</c> file of one directory, merged in file-name order (later files win), reloaded when any of
/// them is added, changed, renamed or removed. A plain <c>AddJsonFile</c> per file would miss files dropped in after
/// start, and file watchers miss changes on some volumes (network shares, Kubernetes config maps swapped by symlink)
/// and each holds one of the few inotify instances a Linux user gets, so the directory is polled once a second
/// instead: cheap for a handful of small files. A file that does not parse or cannot be read keeps the directory's
/// last good values in force until it can be read again.
/// </summary>
internal sealed class ConfigDirectoryConfigurationProvider : ConfigurationProvider, ISettingsFileHealth, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly string _directory;
    private readonly Lock _gate = new();
    private Timer? _pollTimer;
    private string _signature = string.Empty;

    public ConfigDirectoryConfigurationProvider(string directory) => _directory = Path.GetFullPath(directory);

    /// <summary>The last error met while reading the directory, for the startup log; null when all files parsed.</summary>
    public string? LastError { get; private set; }

    public override void Load()
    {
        LoadIfChanged(force: true);
        StartWatching();
    }

    public void Dispose()
    {
        _pollTimer?.Dispose();
    }

    private void LoadIfChanged(bool force)
    {
        lock (_gate)
        {
            var files = ListFiles();
            var signature = string.Join('|', files.Select(f => $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
            if (!force && signature == _signature)
            {
                return;
            }

            var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var reading = string.Empty;
            try
            {
                foreach (var file in files)
                {
                    reading = file.Name;
                    foreach (var (key, value) in ReadJsonFile(file.FullName))
                    {
                        merged[key] = value;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidDataException or System.Text.Json.JsonException)
            {
                // Half-written, broken or unreadable file: keep what is in force. The signature stays the old one, so
                // the next poll reads the files again, and a file that could not be read is taken once it can be, even
                // when nothing about it that the signature sees (length, write time) has changed.
                LastError = $"{reading}: {ex.Message}";
                return;
            }

            _signature = signature;
            LastError = null;
            if (!force && SameData(merged))
            {
                return;
            }

            Data = merged;
            if (!force)
            {
                OnReload();
            }
        }
    }

    private FileInfo[] ListFiles()
    {
        var directory = new DirectoryInfo(_directory);
        if (!directory.Exists)
        {
            return [];
        }

        return [.. directory.EnumerateFiles("*.json").OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    private static IEnumerable<KeyValuePair<string, string?>> ReadJsonFile(string path)
    {
        // Reuse the framework's JSON parsing for the exact key flattening every other source uses.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var root = new ConfigurationBuilder().AddJsonStream(stream).Build();
        return root.AsEnumerable().Where(pair => pair.Value is not null).ToArray();
    }

    private bool SameData(Dictionary<string, string?> candidate) =>
        candidate.Count == Data.Count &&
        candidate.All(pair => Data.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private void StartWatching()
    {
        if (_pollTimer is not null)
        {
            return;
        }

        _pollTimer = new Timer(_ => SafeReload(), null, PollInterval, PollInterval);
    }

    private void SafeReload()
    {
        try
        {
            LoadIfChanged(force: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LastError = ex.Message;
        }
    }
}

internal sealed class ConfigDirectoryConfigurationSource(string directory) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConfigDirectoryConfigurationProvider(directory);
}
