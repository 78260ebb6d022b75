using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Kestrel answers a request line or headers over its limits itself (414, 431) with an empty body, before any
/// application code runs, and offers no hook to change that answer. So Kestrel's limits are raised
/// (<see cref="RaiseKestrelLimits"/>) and the gateway enforces Kestrel's usual ones here, where it can answer in the
/// envelope. Beyond the raised limits Kestrel still answers bare; a malformed request line does too.
/// </summary>
internal sealed class RequestHeadLimitsMiddleware(RequestDelegate next)
{
    /// <summary>Kestrel's defaults: what clients and SmartLead are used to.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    public const int MaxHeadersTotalBytes = 32 * 1024;

    public const int MaxHeaderCount = 100;

    /// <summary>Kestrel's own limits, raised so that requests between the two reach this middleware.</summary>
    public static void RaiseKestrelLimits(KestrelServerOptions options)
    {
        options.Limits.MaxRequestLineSize = Math.Max(options.Limits.MaxRequestLineSize, 4 * MaxRequestLineBytes);
        options.Limits.MaxRequestHeadersTotalSize = Math.Max(options.Limits.MaxRequestHeadersTotalSize, 2 * MaxHeadersTotalBytes);
        options.Limits.MaxRequestHeaderCount = Math.Max(options.Limits.MaxRequestHeaderCount, 2 * MaxHeaderCount);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString);

        // "METHOD SP target SP HTTP/1.1 CRLF", as Kestrel counts it.
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLineBytes)
        {
            return GatewayError.WriteAsync(context, StatusCodes.Status414UriTooLong, GatewayError.ValidationError,
                $"The request line is longer than {MaxRequestLineBytes} bytes.", new { field = "url", constraint = "maxLength" });
        }

        var total = 0;
        foreach (var (name, values) in request.Headers)
        {
            total += name.Length + 4;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }
        }

        if (total > MaxHeadersTotalBytes || request.Headers.Count > MaxHeaderCount)
        {
            return GatewayError.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, GatewayError.ValidationError,
                $"The request headers are larger than {MaxHeadersTotalBytes} bytes or more than {MaxHeaderCount}.",
                new { field = "headers", constraint = "maxLength" });
        }

        return next(context);
    }
}
