using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog;
using Serilog.Core;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Logging;

internal static class GatewayLoggingExtensions
{
    private const string DevelopmentTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Serilog as the only logging provider. Production writes one compact JSON event per line to stdout; Development
    /// writes readable lines. Levels come from the <c>Serilog</c> section. Every sink — the console and
    /// any <see cref="ILogEventSink"/> registered in DI — sits behind <see cref="RedactingSink"/>, so no key can reach one.
    /// </summary>
    public static WebApplicationBuilder AddGatewayLogging(this WebApplicationBuilder builder) =>
        builder.AddGatewayLogging(Console.OpenStandardOutput(), TimeProvider.System); // wall-clock plumbing: a test's fake clock must not hold lines back

    /// <summary>The same, writing Production's lines to <paramref name="stdout"/> (benchmarks and tests read them).</summary>
    internal static WebApplicationBuilder AddGatewayLogging(this WebApplicationBuilder builder, Stream stdout, TimeProvider stdoutClock)
    {
        var isDevelopment = builder.Environment.IsDevelopment();
        builder.Services.TryAddSingleton<SecretRedactor>();
        builder.Services.AddLiveOptions<RequestLoggingOptions>(RequestLoggingOptions.SectionName);
        builder.Services.AddSerilog((services, loggerConfiguration) =>
        {
            // Everything that writes somewhere sits behind the redaction: the console, DI-registered sinks and any
            // sink ops add under Serilog:WriteTo. Only the levels are read into the outer logger, which filters.
            var outputs = new LoggerConfiguration().MinimumLevel.Verbose()
                .ReadFrom.Configuration(WithoutMinimumLevel(builder.Configuration));
            // The console is written from a background thread: a request never waits on stdout. When the buffer is
            // full the request path waits rather than dropping events (an audit trail with holes is worse).
            outputs = isDevelopment
                ? outputs.WriteTo.Async(
                    console => console.Console(outputTemplate: DevelopmentTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture),
                    bufferSize: BackgroundStdoutSink.Capacity,
                    blockWhenFull: true)
                : outputs.WriteTo.Sink(new BackgroundStdoutSink(stdout, stdoutClock));
            foreach (var sink in services.GetServices<ILogEventSink>())
            {
                outputs = outputs.WriteTo.Sink(sink);
            }

            loggerConfiguration
                .ReadFrom.Configuration(OnlyMinimumLevel(builder.Configuration))
                .Enrich.FromLogContext()
                .WriteTo.Sink(new RedactingSink(services.GetRequiredService<SecretRedactor>(), outputs.CreateLogger()));
        }, preserveStaticLogger: true); // no process-wide Log.Logger: each host (and each test host) logs on its own
        return builder;
    }

    private static IConfiguration OnlyMinimumLevel(IConfiguration configuration) =>
        new ConfigurationBuilder().AddInMemoryCollection(configuration.GetSection("Serilog:MinimumLevel").AsEnumerable()).Build();

    private static IConfiguration WithoutMinimumLevel(IConfiguration configuration) =>
        new ConfigurationBuilder().AddInMemoryCollection(configuration.GetSection("Serilog").AsEnumerable()
            .Where(pair => !pair.Key.StartsWith("Serilog:MinimumLevel", StringComparison.OrdinalIgnoreCase))).Build();

    /// <summary>Request id and the one request-log event; the first step of the pipeline, so it sees every request.</summary>
    public static IApplicationBuilder UseGatewayRequestLogging(this IApplicationBuilder app) =>
        app.UseMiddleware<RequestLoggingMiddleware>();
}
