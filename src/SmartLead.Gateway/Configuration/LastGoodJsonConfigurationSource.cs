using Microsoft.Extensions.Configuration.Json;

namespace SmartLead.Gateway.Configuration;

/// <summary>
/// <c>appsettings.json</c> and <c>appsettings.{Environment}.json</c>. The framework's JSON provider, on a reload that
/// does not parse, drops every value of the file, so settings would fall back to the code's defaults at the next reload
/// of any source; this one keeps the file's last good values and says which file is broken. A file broken at start
/// still stops the start, as before.
/// </summary>
internal sealed class LastGoodJsonConfigurationSource : JsonConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new LastGoodJsonConfigurationProvider(this);
    }
}

internal sealed class LastGoodJsonConfigurationProvider(JsonConfigurationSource source) : JsonConfigurationProvider(source), ISettingsFileHealth
{
    private bool _loaded;

    public string? LastError { get; private set; }

    public override void Load(Stream stream)
    {
        try
        {
            // The base assigns Data only once the whole file has parsed.
            base.Load(stream);
            _loaded = true;
            LastError = null;
        }
        catch (FormatException ex) when (_loaded)
        {
            LastError = $"{Source.Path}: {ex.InnerException?.Message ?? ex.Message}";
        }
    }
}

/// <summary>A settings source that reads files, and what kept its last read from being used.</summary>
internal interface ISettingsFileHealth
{
    /// <summary>The file and the problem of the last read; null when it read cleanly.</summary>
    string? LastError { get; }
}
