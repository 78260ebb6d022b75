using Microsoft.Extensions.Primitives;
using SmartLead.Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// YARP's routes and clusters, derived from <see cref="SmartLeadOptions"/> rather than written in a separate
/// <c>ReverseProxy</c> section: ops set one <c>SmartLead:BaseUrl</c> and the gateway knows the rest. A change of
/// base URL (hot reload) publishes a new config; YARP swaps it in without dropping requests.
/// </summary>
internal sealed class SmartLeadProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    public const string RouteId = "smartlead-api";
    public const string ClusterId = "smartlead";

    // Retries, and a retry's wait for its permit, happen inside one YARP "activity"; its idle timeout must not cut them
    // short. (A request's first wait for a permit comes before YARP: UpstreamBudgetMiddleware.)
    // Each attempt has its own timeout (SmartLead:Timeout), enforced in the forwarder's handler chain.
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(15);

    private readonly LiveOptions<SmartLeadOptions> _options;
    private Snapshot _snapshot;

    public SmartLeadProxyConfigProvider(LiveOptions<SmartLeadOptions> options)
    {
        _options = options;
        _snapshot = Build(options.Current.BaseUrl);
        options.Changed += OnOptionsChanged;
    }

    public IProxyConfig GetConfig() => _snapshot;

    public void Dispose() => _options.Changed -= OnOptionsChanged;

    private void OnOptionsChanged(SmartLeadOptions options)
    {
        var previous = _snapshot;
        if (previous.BaseUrl == options.BaseUrl)
        {
            return;
        }

        _snapshot = Build(options.BaseUrl);
        previous.SignalChange();
    }

    private static Snapshot Build(Uri baseUrl)
    {
        var route = new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            Match = new RouteMatch { Path = "/api/{**rest}" },
        };
        var cluster = new ClusterConfig
        {
            ClusterId = ClusterId,
            Destinations = new Dictionary<string, DestinationConfig>
            {
                ["smartlead"] = new() { Address = baseUrl.GetLeftPart(UriPartial.Authority) + "/" },
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = ActivityTimeout },
        };
        return new Snapshot(baseUrl, [route], [cluster]);
    }

    private sealed class Snapshot : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public Snapshot(Uri baseUrl, IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters)
        {
            BaseUrl = baseUrl;
            Routes = routes;
            Clusters = clusters;
            ChangeToken = new CancellationChangeToken(_changed.Token);
        }

        public Uri BaseUrl { get; }

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        public void SignalChange() => _changed.Cancel();
    }
}
