using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace SmartLead.Gateway.Configuration;

/// <summary>
/// Options that follow configuration reloads but never leave the last good values. Each reload builds a fresh
/// <typeparamref name="T"/> through the framework's <see cref="IOptionsFactory{TOptions}"/>, so every
/// <c>Configure</c>, <c>PostConfigure</c> and validator registered for it applies on reload exactly as at start; values
/// that fail (a validator says no, a value does not convert) are logged, every error, and ignored.
/// </summary>
/// <remarks>
/// Not <see cref="IOptionsMonitor{T}"/>: it re-validates on the configuration's reload thread and throws there on the
/// first bad edit, which ends the process. So no <see cref="IOptionsChangeTokenSource{TOptions}"/> is registered for
/// these options (the monitor never reloads them) and this class listens to the configuration itself.
/// </remarks>
internal sealed partial class LiveOptions<T> : IDisposable
    where T : class
{
    private readonly IOptionsFactory<T> _factory;
    private readonly ILogger _logger;
    private readonly string _sectionName;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private T _current;
    private string? _fingerprint;

    public LiveOptions(IConfiguration configuration, IOptions<T> startValues, IOptionsFactory<T> factory, ILogger<LiveOptions<T>> logger, string sectionName)
    {
        _factory = factory;
        _logger = logger;
        _sectionName = sectionName;
        _current = startValues.Value;
        _fingerprint = Fingerprint(_current);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The values in force: the newest that passed validation.</summary>
    public T Current => Volatile.Read(ref _current);

    /// <summary>Raised after new valid values took effect, and only when some value differs from the values before.</summary>
    public event Action<T>? Changed;

    public void Dispose() => _subscription.Dispose();

    private void Reload()
    {
        T candidate;
        try
        {
            candidate = _factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException ex)
        {
            Log.ReloadRejected(_logger, _sectionName, string.Join("; ", ex.Failures));
            return;
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not even convert (e.g. "fast" for a TimeSpan): the binder's message names it.
            Log.ReloadRejected(_logger, _sectionName, ex.Message);
            return;
        }

        // Every reload of any source reloads every section: most leave this one as it was.
        var fingerprint = Fingerprint(candidate);
        lock (_gate)
        {
            if (fingerprint is not null && fingerprint == _fingerprint)
            {
                return;
            }

            _fingerprint = fingerprint;
            Volatile.Write(ref _current, candidate);
        }

        // Outside the lock: subscribers rebuild pipelines, start timers and log.
        Changed?.Invoke(candidate);
    }

    /// <summary>The values as JSON, to tell a real change from a reload that changed nothing; null if they do not serialise.</summary>
    private static string? Fingerprint(T options)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Serialize(options);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Error,
            Message = "Reloaded settings in section {Section} are invalid and were not applied; the last good values stay in force: {Errors}")]
        public static partial void ReloadRejected(ILogger logger, string section, string errors);
    }
}

internal static class LiveOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> from <paramref name="sectionName"/>, validates it at start (data annotations and
    /// any registered <see cref="IValidateOptions{T}"/>), and registers a <see cref="LiveOptions{T}"/> that follows
    /// reloads. Calling it again for the same type registers nothing more (a second binding would append list items
    /// twice) and returns the same builder, for more <c>Configure</c>/<c>PostConfigure</c>/validation.
    /// </summary>
    public static OptionsBuilder<T> AddLiveOptions<T>(this IServiceCollection services, string sectionName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new OptionsBuilder<T>(services, Options.DefaultName);
        if (services.Any(d => d.ServiceType == typeof(LiveOptions<T>)))
        {
            return builder;
        }

        services.AddSingleton(sp => new LiveOptions<T>(
            sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<IOptions<T>>(),
            sp.GetRequiredService<IOptionsFactory<T>>(),
            sp.GetRequiredService<ILogger<LiveOptions<T>>>(),
            sectionName));
        services.AddSingleton<IStartupSettingsCheck>(new StartupSettingsCheck<T>(sectionName));

        // Bound without a change-token source: reloads are LiveOptions' job (see there why not the options monitor's).
        return builder
            .Configure<IConfiguration>((options, configuration) => configuration.GetSection(sectionName).Bind(options))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}

/// <summary>One settings section checked before the gateway starts, so all problems can be listed together.</summary>
internal interface IStartupSettingsCheck
{
    /// <summary>Every problem with the section's values; empty when they are valid.</summary>
    IReadOnlyList<string> Problems(IServiceProvider services);
}

internal sealed class StartupSettingsCheck<T>(string sectionName) : IStartupSettingsCheck
    where T : class
{
    public IReadOnlyList<string> Problems(IServiceProvider services)
    {
        try
        {
            _ = services.GetRequiredService<IOptions<T>>().Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own words name the key and the value that does not convert, e.g. "abc" for a TimeSpan.
            return [$"{sectionName}: {ex.Message}"];
        }
    }
}
