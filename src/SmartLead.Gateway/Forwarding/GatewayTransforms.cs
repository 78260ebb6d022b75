using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using SmartLead.Gateway.Clients;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The edits YARP makes to every request and response. Requests: the client's path as sent, the client's keys out
/// (the gateway's key goes on later, per attempt, in <see cref="ApiKeyInjectionHandler"/>), <c>Accept-Encoding:
/// identity</c>, the request id along, the request's log feature, body and keys handed to the forwarder's handler
/// chain. Responses: keys scrubbed from every header name and value and from the reason phrase (a SmartLead
/// redirect's <c>Location</c> would otherwise hand the key to the client); an answer in a coding the gateway cannot
/// read is refused.
/// </summary>
internal sealed class GatewayTransforms(ApiKeyStore keys) : ITransformProvider
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

        // SmartLead's API sends no trailers; one that came anyway would reach HTTP/2 clients unscrubbed, so none go.
        context.CopyResponseTrailers = false;
        context.AddRequestTransform(TransformRequest);
        context.AddResponseTransform(TransformResponse);
    }

    private ValueTask TransformRequest(RequestTransformContext context)
    {
        if (keys.Current is null)
        {
            // Forwarding without a key would only spend budget on SmartLead's 401. (The key itself goes on later, per
            // attempt; this only saves the budget when there is none at all.)
            return new ValueTask(GatewayError.WriteAsync(
                context.HttpContext,
                StatusCodes.Status503ServiceUnavailable,
                GatewayError.UpstreamUnavailable,
                "The gateway has no SmartLead key loaded; set SmartLead:ApiKey or SmartLead:ApiKeyFile."));
        }

        var query = ApiKeyQuery.Strip(context.HttpContext.Request.QueryString.Value);
        // The path byte for byte as the client sent it (ForwardableRequestMiddleware has refused any path that could
        // not go so); without canonicalization the Uri leaves every escape as it is.
        context.ProxyRequest.RequestUri = RequestTarget.RawPath(context.HttpContext) is { } rawPath
            ? new Uri(string.Concat(context.DestinationPrefix.AsSpan().TrimEnd('/'), rawPath, query), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })
            : RequestUtilities.MakeDestinationAddress(context.DestinationPrefix, context.Path, new QueryString(query));

        // The request's trace context, not the client's: SmartLead's side of the trace hangs off this request. A W3C
        // activity's id is its traceparent (a hierarchical one, only if the process's default id format were changed,
        // has no W3C ids to send). With spans exported, the HTTP client's propagator replaces it with the attempt's
        // own span.
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent })
        {
            context.ProxyRequest.Headers.Remove(TraceParentHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(TraceParentHeader, traceParent);
        }

        // Answers must come back uncompressed: compressed bytes cannot be scanned for the key.
        context.ProxyRequest.Headers.Remove(HeaderNames.AcceptEncoding);
        context.ProxyRequest.Headers.TryAddWithoutValidation(HeaderNames.AcceptEncoding, "identity");

        // What the steps before put in the request's features (the body the lead check read, the request's keys, the
        // client, the prepaid permit, the log feature) goes to the handler chain in one entry.
        ForwardedFeatures.Attach(context.ProxyRequest, context.HttpContext.Features);
        if (context.HttpContext.Features.Get<RequestLogFeature>() is { } log)
        {
            context.ProxyRequest.Headers.Remove(RequestLoggingMiddleware.RequestIdHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(RequestLoggingMiddleware.RequestIdHeader, log.RequestId);
        }

        return ValueTask.CompletedTask;
    }

    private const string TraceParentHeader = "traceparent";

    private async ValueTask TransformResponse(ResponseTransformContext context)
    {
        var patterns = context.HttpContext.Features.Get<RequestKeys>()?.Patterns()
            ?? keys.PatternsFor(keys.Current is { } current ? [current] : []);
        if (context.ProxyResponse?.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols)
        {
            // The gateway never asks for an upgrade (TunnelRefusalMiddleware); a 101 anyway would open a raw tunnel.
            context.SuppressResponseBody = true;
            await GatewayError.WriteAsync(context.HttpContext, StatusCodes.Status502BadGateway, GatewayError.UpstreamUnavailable,
                "SmartLead answered with a protocol switch the gateway did not ask for.");
            return;
        }

        if (context.ProxyResponse is { } proxyResponse && ApiKeyInjectionHandler.Codings(proxyResponse).Count > 0
            && !HttpMethods.IsHead(context.HttpContext.Request.Method)
            && proxyResponse.StatusCode is not (System.Net.HttpStatusCode.NoContent or System.Net.HttpStatusCode.NotModified))
        {
            // Asked for identity, sent something ApiKeyInjectionHandler could not decode: its bytes cannot be searched
            // for the key, so they do not reach the client.
            context.SuppressResponseBody = true;
            await GatewayError.WriteAsync(context.HttpContext, StatusCodes.Status502BadGateway, GatewayError.UpstreamUnavailable,
                "SmartLead answered in a content coding the gateway cannot read.");
            return;
        }

        ScrubHeaders(context.HttpContext.Response.Headers, patterns);
        var response = context.HttpContext.Features.Get<IHttpResponseFeature>();
        if (response?.ReasonPhrase is { } reason)
        {
            response.ReasonPhrase = patterns.Scrub(reason);
        }
    }

    /// <summary>Names and values: a server can echo the query into a header name as easily as into a value.</summary>
    private static void ScrubHeaders(IHeaderDictionary headers, KeyPatterns patterns)
    {
        if (patterns.IsEmpty)
        {
            return;
        }

        List<(string Name, string Clean, StringValues Values)>? tainted = null;
        foreach (var (name, values) in headers)
        {
            var cleanName = patterns.Scrub(name);
            var dirty = !ReferenceEquals(cleanName, name);
            foreach (var value in values)
            {
                dirty |= value is not null && !ReferenceEquals(patterns.Scrub(value), value);
            }

            if (dirty)
            {
                (tainted ??= []).Add((name, cleanName, values));
            }
        }

        foreach (var (name, cleanName, values) in tainted ?? [])
        {
            headers.Remove(name);
            headers[cleanName] = new StringValues([.. values.Select(v => v is null ? v : patterns.Scrub(v))]);
        }
    }
}
