using Microsoft.AspNetCore.Http.Features;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// How the forwarder's handler chain, which sees only the <see cref="HttpRequestMessage"/>, finds what the steps
/// before it put in the request's features (the log feature, the client, the request's keys, the buffered body, the
/// prepaid permit): the request transform hands the whole feature collection over as one entry of the message's
/// options. One entry, not one per feature: the options dictionary then never grows, and no long key is hashed per
/// lookup. The chain runs within the request, so the collection is the request's own while it is read.
/// </summary>
internal static class ForwardedFeatures
{
    private static readonly HttpRequestOptionsKey<IFeatureCollection> OptionKey = new("SmartLead.Gateway.Features");

    /// <summary>Hands <paramref name="features"/> to the handler chain with <paramref name="request"/>.</summary>
    public static void Attach(HttpRequestMessage request, IFeatureCollection features) => request.Options.Set(OptionKey, features);

    /// <summary>The feature of the request <paramref name="request"/> was made for; null without one (or outside the gateway).</summary>
    public static T? Get<T>(HttpRequestMessage request)
        where T : class =>
        request.Options.TryGetValue(OptionKey, out var features) ? features.Get<T>() : null;
}
