using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using SmartLead.Gateway.Credentials;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The edits YARP makes to every request and response. Requests: the client's path as sent, the client's keys out,
/// the gateway's key in, <c>Accept-Encoding: identity</c>, the request id along, the request's log feature handed to
/// the forwarder's handler chain. Responses: keys scrubbed
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
        // The path byte for byte as the client sent it (ForwardableRequestMiddleware has refused any path that could
        // not go so); without canonicalization the Uri leaves every escape as it is.
        context.ProxyRequest.RequestUri = RequestTarget.RawPath(context.HttpContext) is { } rawPath
            ? new Uri(context.DestinationPrefix.TrimEnd('/') + rawPath + query, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })
            : RequestUtilities.MakeDestinationAddress(context.DestinationPrefix, context.Path, new QueryString(query));

        // Answers must come back uncompressed: compressed bytes cannot be scanned for the key.
        context.ProxyRequest.Headers.Remove(HeaderNames.AcceptEncoding);
        context.ProxyRequest.Headers.TryAddWithoutValidation(HeaderNames.AcceptEncoding, "identity");

        // The body the lead check read goes to the chain as it is: read once, for the check and every attempt.
        if (context.HttpContext.Features.Get<BufferedRequestBody>() is { } body)
        {
            context.ProxyRequest.Options.Set(BufferedRequestBody.OptionKey, body);
        }

        if (context.HttpContext.Features.Get<RequestLogFeature>() is { } log)
        {
            context.ProxyRequest.Options.Set(RequestLogFeature.OptionKey, log);
            context.ProxyRequest.Headers.Remove(RequestLoggingMiddleware.RequestIdHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(RequestLoggingMiddleware.RequestIdHeader, log.RequestId);
        }

        return ValueTask.CompletedTask;
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
