namespace SmartLead.Gateway.Configuration;

/// <summary>
/// Tells ops when a settings file (the config directory's, or an <c>appsettings</c> file) cannot be read or parsed.
/// The providers cannot log (they exist before logging does) and keep the last good values in force, so without this
/// a typo would be silently ignored.
/// </summary>
internal sealed partial class ConfigDirectoryMonitor(IConfiguration configuration, TimeProvider timeProvider, ILogger<ConfigDirectoryMonitor> logger)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private ITimer? _timer;
    private string? _reported;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var providers = (configuration as IConfigurationRoot)?.Providers.OfType<ISettingsFileHealth>().ToArray() ?? [];
        if (providers.Length > 0)
        {
            Check(providers);
            _timer = timeProvider.CreateTimer(_ => Check(providers), null, CheckInterval, CheckInterval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    private void Check(ISettingsFileHealth[] providers)
    {
        var problem = providers.Select(p => p.LastError).FirstOrDefault(e => e is not null);
        if (problem == _reported)
        {
            return;
        }

        _reported = problem;
        if (problem is null)
        {
            Log.ConfigDirectoryHealthy(logger);
        }
        else
        {
            Log.ConfigDirectoryUnreadable(logger, problem);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
            Message = "A settings file cannot be used; the last good settings stay in force: {Problem}")]
        public static partial void ConfigDirectoryUnreadable(ILogger logger, string problem);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "The settings files read cleanly again")]
        public static partial void ConfigDirectoryHealthy(ILogger logger);
    }
}
