namespace SmartLead.Gateway.Configuration;

internal static class GatewayConfigurationExtensions
{
    /// <summary>Names another config directory than <c>config/</c> beside the app.</summary>
    public const string ConfigDirectoryVariable = "GATEWAY_CONFIG_DIR";

    /// <summary>
    /// Arguments for <c>WebApplication.CreateBuilder</c>: the host's own settings files are replaced by
    /// <see cref="AddGatewayConfiguration"/>, so they need no file watchers of their own.
    /// </summary>
    public static string[] HostArguments(string[] args) => [.. args, "--hostBuilder:reloadConfigOnChange=false"];

    /// <summary>
    /// Puts the settings sources in the documented order, later wins: <c>appsettings.json</c> →
    /// <c>appsettings.{Environment}.json</c> → every <c>*.json</c> in the config directory (name order, reloaded on
    /// change) → environment variables → command line. The JSON files are read from beside the app, not from the
    /// working directory, so the published app and <c>dotnet run</c> read the same reference file.
    /// </summary>
    public static WebApplicationBuilder AddGatewayConfiguration(this WebApplicationBuilder builder, string[] args)
    {
        var configuration = builder.Configuration;
        var appDirectory = AppContext.BaseDirectory;
        var environment = builder.Environment.EnvironmentName;
        var configDirectory = Environment.GetEnvironmentVariable(ConfigDirectoryVariable) is { Length: > 0 } named
            ? named
            : Path.Combine(appDirectory, "config");

        // The host's own sources stay underneath ours: its in-memory defaults and the ASPNETCORE_/DOTNET_-prefixed
        // environment variables (ASPNETCORE_URLS must keep working). The JSON files, the unprefixed environment
        // variables and the command line are put back in the documented order.
        var hostSources = configuration.Sources
            .Where(source => source is not Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
                and not Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationSource
                && source is not Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            .ToList();
        configuration.Sources.Clear();
        foreach (var source in hostSources)
        {
            configuration.Sources.Add(source);
        }

        // Polled (every 4 s) rather than watched: see ConfigDirectoryConfigurationProvider on inotify limits.
        var appFiles = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(appDirectory)
        {
            UsePollingFileWatcher = true,
            UseActivePolling = true,
        };
        foreach (var file in (string[])["appsettings.json", $"appsettings.{environment}.json"])
        {
            ((IConfigurationBuilder)configuration).Add(new LastGoodJsonConfigurationSource
            {
                FileProvider = appFiles,
                Path = file,
                Optional = true,
                ReloadOnChange = true,
            });
        }

        ((IConfigurationBuilder)configuration).Add(new ConfigDirectoryConfigurationSource(configDirectory));
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
        builder.Services.AddHostedService<ConfigDirectoryMonitor>();
        return builder;
    }
}
