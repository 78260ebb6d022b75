using Microsoft.Extensions.Primitives;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The edits YARP makes to every request and response. Requests: the client's keys out, the gateway's key in,
/// the request id along, the request's log feature handed to the forwarder's handler chain. Responses: keys scrubbed
/// from every header (a SmartLead redirect's <c>Location</c> would otherwise hand the key to the client).
/// </summary>
internal sealed class GatewayTransforms(ApiKeyStore keys, SecretRedactor redactor) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        // X-Forwarded-* would tell a third party our internal addresses; SmartLead needs none of it.
        context.UseDefaultForwarders = false;
        context.AddRequestTransform(TransformRequest);
        context.AddResponseTransform(TransformResponse);
    }

    private ValueTask TransformRequest(RequestTransformContext context)
    {
        var key = keys.Current;
        if (key is null)
        {
            // Forwarding without a key would only spend budget on SmartLead's 401.
            return new ValueTask(GatewayError.WriteAsync(
                context.HttpContext,
                StatusCodes.Status503ServiceUnavailable,
                GatewayError.UpstreamUnavailable,
                "The gateway has no SmartLead key loaded; set SmartLead:ApiKey or SmartLead:ApiKeyFile."));
        }

        var query = ApiKeyQuery.Rewrite(context.HttpContext.Request.QueryString.Value, key);
        context.ProxyRequest.RequestUri = RawPath(context.HttpContext) is { } rawPath
            ? new Uri(context.DestinationPrefix.TrimEnd('/') + rawPath + query)
            : RequestUtilities.MakeDestinationAddress(context.DestinationPrefix, context.Path, new QueryString(query));

        if (context.HttpContext.Features.Get<ClientIdentity>() is { } client)
        {
            context.ProxyRequest.Options.Set(ClientIdentity.OptionKey, client);
        }

        if (context.HttpContext.Features.Get<RequestLogFeature>() is { } log)
        {
            context.ProxyRequest.Options.Set(RequestLogFeature.OptionKey, log);
            context.ProxyRequest.Headers.Remove(RequestLoggingMiddleware.RequestIdHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(RequestLoggingMiddleware.RequestIdHeader, log.RequestId);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The path exactly as the client sent it, when it is a plain origin-form <c>/api/...</c> path. Rebuilding it from
    /// the decoded path would re-encode escapes such as <c>%2F</c> (SmartLead would then see <c>%252F</c>); dot
    /// segments and anything unusual take the normalised route instead.
    /// </summary>
    private static string? RawPath(HttpContext context)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }

        var end = target.IndexOf('?', StringComparison.Ordinal);
        var path = end < 0 ? target : target[..end];
        if (!path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase)
            || path.Contains("/.", StringComparison.Ordinal)
            || path.Contains("..", StringComparison.Ordinal)
            || path.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || path.Contains('#', StringComparison.Ordinal)
            || path.Contains('\\', StringComparison.Ordinal)
            || path.Contains("//", StringComparison.Ordinal)
            || !Uri.IsWellFormedUriString(path, UriKind.Relative))
        {
            return null;
        }

        return path;
    }

    private ValueTask TransformResponse(ResponseTransformContext context)
    {
        var headers = context.HttpContext.Response.Headers;
        List<string>? tainted = null;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                if (redactor.ContainsSecret(value))
                {
                    (tainted ??= []).Add(name);
                    break;
                }
            }
        }

        foreach (var name in tainted ?? [])
        {
            headers[name] = new StringValues([.. headers[name].Select(v => v is null ? v : redactor.Redact(v))]);
        }

        return ValueTask.CompletedTask;
    }
}
