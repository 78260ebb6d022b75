using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace SmartLead.Gateway.Configuration;

/// <summary>
/// Options that follow configuration reloads but never leave the last good values: a reload whose values fail
/// validation is logged (every error) and ignored. <see cref="IOptionsMonitor{T}"/> alone would throw from
/// <c>CurrentValue</c> on the first bad edit, which is not what ops want from a hot reload.
/// </summary>
internal sealed partial class LiveOptions<T> : IDisposable
    where T : class, new()
{
    private readonly IConfiguration _configuration;
    private readonly string _sectionName;
    private readonly IValidateOptions<T>[] _validators;
    private readonly ILogger _logger;
    private readonly IDisposable _subscription;
    private T _current;

    public LiveOptions(
        IConfiguration configuration,
        IOptions<T> startValues,
        IEnumerable<IValidateOptions<T>> validators,
        ILogger<LiveOptions<T>> logger,
        string sectionName)
    {
        _configuration = configuration;
        _sectionName = sectionName;
        _validators = [.. validators];
        _logger = logger;
        _current = startValues.Value;
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The values in force: the newest that passed validation.</summary>
    public T Current => Volatile.Read(ref _current);

    /// <summary>Raised after new valid values took effect.</summary>
    public event Action<T>? Changed;

    public void Dispose() => _subscription.Dispose();

    private void Reload()
    {
        var candidate = new T();
        try
        {
            _configuration.GetSection(_sectionName).Bind(candidate);
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not even convert (e.g. "fast" for a TimeSpan): keep what we have.
            Log.ReloadRejected(_logger, _sectionName, ex.Message);
            return;
        }

        var errors = _validators
            .Select(v => v.Validate(Options.DefaultName, candidate))
            .Where(r => r.Failed)
            .SelectMany(r => r.Failures ?? [])
            .ToArray();
        if (errors.Length > 0)
        {
            Log.ReloadRejected(_logger, _sectionName, string.Join("; ", errors));
            return;
        }

        Volatile.Write(ref _current, candidate);
        Changed?.Invoke(candidate);
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
    /// Binds <typeparamref name="T"/> from <paramref name="sectionName"/>, validates it at start (data annotations
    /// and any registered <see cref="IValidateOptions{T}"/>), and registers a <see cref="LiveOptions{T}"/> that
    /// follows reloads.
    /// </summary>
    public static OptionsBuilder<T> AddLiveOptions<T>(this IServiceCollection services, string sectionName)
        where T : class, new()
    {
        services.AddSingleton(sp => new LiveOptions<T>(
            sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<IOptions<T>>(),
            sp.GetServices<IValidateOptions<T>>(),
            sp.GetRequiredService<ILogger<LiveOptions<T>>>(),
            sectionName));
        services.AddSingleton<IStartupSettingsCheck>(new StartupSettingsCheck<T>(sectionName));

        // Bound once, without a change-token source: reloads are LiveOptions' job. With BindConfiguration the
        // framework's options monitor would re-validate on every reload and throw on a reload thread, ending the
        // process, the very thing "keep the last good values" must prevent.
        return services.AddOptions<T>()
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
