using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Nothing tunnels past the gateway. A 101 from upstream would hand the client a raw connection: it could read
/// SmartLead's echo of the URL unscrubbed and send anything, outside <c>/api/</c>, without budget or log. So
/// <c>CONNECT</c> and every <c>Upgrade</c> request (WebSocket, h2c, anything) answer 400 in the envelope and are
/// never forwarded. <c>Range</c> and <c>If-Range</c> are dropped: two 206 slices that each cut the key in half would
/// reassemble it past the scrubbing. Runs for every request, ahead of every endpoint (a <c>CONNECT</c> target is not a
/// path, so it never reaches the proxy's route).
/// </summary>
internal sealed class TunnelRefusalMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method) || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true)
        {
            return GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, GatewayError.ValidationError,
                "The gateway does not open tunnels: CONNECT is not accepted.",
                new { field = "method", constraint = "tunnel" });
        }

        if (request.Headers.ContainsKey(HeaderNames.Upgrade) || context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true)
        {
            return GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, GatewayError.ValidationError,
                "The gateway does not upgrade connections (WebSocket or other protocols); send plain HTTP requests.",
                new { field = HeaderNames.Upgrade, constraint = "tunnel" });
        }

        request.Headers.Remove(HeaderNames.Range);
        request.Headers.Remove(HeaderNames.IfRange);
        return next(context);
    }
}
