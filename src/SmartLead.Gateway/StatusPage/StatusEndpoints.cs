using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.StatusPage;

internal static class StatusEndpoints
{
    /// <summary>
    /// The page allows nothing from elsewhere (no CDN, no font, no frame): its own inline script and style, and
    /// requests back to the gateway for <c>status.json</c>.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = true,
    };

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(StatusEndpoints).Assembly.GetManifestResourceStream("SmartLead.Gateway.StatusPage.status.html")
            ?? throw new InvalidOperationException("The status page is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>
    /// The gateway's own monitoring endpoints: <c>/metrics</c> (Prometheus text), <c>/status</c> (the page ops keep
    /// open), <c>/status.json</c> (its data), and <c>/</c>, which lands on the page. With <c>Gateway:AdminUrls</c> set
    /// they answer only on the admin listener (<see cref="AdminPortMiddleware"/>). Place it with the gateway's own
    /// endpoints, before the proxy. Plain <see cref="RequestDelegate"/>s, for the reason <c>MapGatewayHealth</c> gives.
    /// </summary>
    public static WebApplication MapGatewayStatus(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AdminEndpointOptions>>().Value.Urls.Count > 0)
        {
            app.UseMiddleware<AdminPortMiddleware>();
        }

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/", static context => Results.Redirect("status").ExecuteAsync(context));
        app.MapGet("/status", static context =>
        {
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.CacheControl = "no-store";
            return Results.Bytes(Page.Value, "text/html; charset=utf-8").ExecuteAsync(context);
        });
        app.MapGet("/status.json", static context =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(context.RequestServices.GetRequiredService<GatewayStatus>().Build(), JsonOptions).ExecuteAsync(context);
        });
        return app;
    }
}
