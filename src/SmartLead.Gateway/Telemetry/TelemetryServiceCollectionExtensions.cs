using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.StatusPage;

namespace SmartLead.Gateway.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The variable OpenTelemetry's exporters read; OTLP export is on exactly when it is set.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// The gateway's meter. Idempotent: each feature that records a metric calls it from its own <c>AddX</c>, so a
    /// host built from one feature alone (as tests build them) still has a meter to record into.
    /// </summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        return services;
    }

    /// <summary>
    /// OpenTelemetry (metrics: the gateway's meter, ASP.NET Core, HttpClient, scraped as Prometheus text at
    /// <c>/metrics</c>; traces: ASP.NET Core and HttpClient, so the W3C <c>traceparent</c> of each request reaches
    /// SmartLead), OTLP export of both when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the status page's data, and the
    /// optional admin listener (<see cref="AdminEndpointOptions"/>). The endpoints come with <c>MapGatewayStatus</c>.
    /// </summary>
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services) =>
        services.AddGatewayTelemetry(!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable)));

    private static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, bool exportOtlp)
    {
        services.AddGatewayMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminEndpointOptions>, AdminEndpointOptionsValidator>());
        services.AddSingleton<IStartupSettingsCheck>(new StartupSettingsCheck<AdminEndpointOptions>(AdminEndpointOptions.SectionName));

        // Bound once at start without a change token: listeners cannot move at run time, and a monitor re-validating
        // on a reload thread would end the process on a bad edit.
        services.AddOptions<AdminEndpointOptions>()
            .Configure<IConfiguration>((options, configuration) => configuration.GetSection(AdminEndpointOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.AddTransient<IStartupFilter, AdminListenerStartupFilter>();

        services.AddSingleton(new OtlpExport(exportOtlp));
        services.TryAddSingleton<StatusRecorder>();
        services.TryAddSingleton<GatewayStatus>();

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("SmartLead.Gateway", serviceVersion: GatewayStatus.Version))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddPrometheusExporter();
                if (exportOtlp)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(options => options.Filter = context => !AdminPortMiddleware.IsMonitoring(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddProcessor(new UrlQueryScrubbingProcessor());
                if (exportOtlp)
                {
                    tracing.AddOtlpExporter();
                }
                else
                {
                    // No exporter, so no span would be read: a trace the gateway starts itself is not recorded
                    // (its spans would only cost tags and processing on every request). Each request still gets
                    // its trace id (the request log's TraceId) and SmartLead still gets the W3C traceparent, marked
                    // not sampled; a client's sampled trace is recorded and passed on as sampled, as before.
                    tracing.SetSampler(new ParentBasedSampler(new AlwaysOffSampler()));
                }
            });

        // After OpenTelemetry's own start: what it records at start must find the SDK listening.
        services.AddHostedService<TelemetryStartup>();
        return services;
    }
}
