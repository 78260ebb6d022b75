using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Adds the <c>Gateway:AdminUrls</c> listeners to the server's addresses. A startup filter runs after the host has
/// put the configured URLs (<c>ASPNETCORE_URLS</c>, <c>Urls</c>, <c>ASPNETCORE_HTTP_PORTS</c>) into the server's address
/// list and before the server binds, so the admin URLs join them; listening from code instead
/// (<c>KestrelServerOptions.Listen</c>) would make Kestrel drop the configured URLs.
/// </summary>
internal sealed class AdminListenerStartupFilter(IOptions<AdminEndpointOptions> options) : IStartupFilter
{
    /// <summary>Kestrel's own default, which configured addresses replace: kept when nothing else was configured.</summary>
    private const string KestrelDefaultUrl = "http://localhost:5000";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var adminUrls = options.Value.Urls;
        if (adminUrls.Count > 0 && app.ServerFeatures.Get<IServerAddressesFeature>()?.Addresses is { IsReadOnly: false } addresses)
        {
            if (addresses.Count == 0)
            {
                addresses.Add(KestrelDefaultUrl);
            }

            foreach (var url in adminUrls)
            {
                addresses.Add(url);
            }
        }

        next(app);
    };
}
