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
    /// OpenTelemetry (metrics: the gateway's meter and the standard HTTP ones of <see cref="StandardHttpMetrics"/>, scraped
    /// as Prometheus text at <c>/metrics</c>), OTLP export of metrics and traces (ASP.NET Core and HttpClient spans) when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, else the trace context alone (<see cref="TraceContextOnly"/>), so the
    /// W3C <c>traceparent</c> of each request reaches SmartLead either way; the status page's data, and the optional
    /// admin listener (<see cref="AdminEndpointOptions"/>). The endpoints come with <c>MapGatewayStatus</c>.
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

        var openTelemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("SmartLead.Gateway", serviceVersion: GatewayStatus.Version))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName).AddPrometheusExporter();
                StandardHttpMetrics.AddTo(metrics);
                if (exportOtlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (exportOtlp)
        {
            openTelemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !AdminPortMiddleware.IsMonitoring(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddProcessor(new UrlQueryScrubbingProcessor())
                .AddOtlpExporter());
        }
        else
        {
            // No exporter, so no span would ever be read: the SDK's tracing (an activity per attempt, instrumentation
            // callbacks, tags) would cost every request for nothing. The trace context alone is kept: each request
            // still gets its trace id (the request log's TraceId, a client's traceparent continued) and SmartLead still
            // gets that trace in its traceparent.
            services.AddHostedService<TraceContextOnly>();
        }

        // After OpenTelemetry's own start: what it records at start must find the SDK listening.
        services.AddHostedService<TelemetryStartup>();
        return services;
    }
}
