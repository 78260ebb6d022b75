using System.Net;
using System.Net.Sockets;
using WireMock.Server;
using WireMock.Settings;

namespace SmartLead.Gateway.Tests.Infrastructure;

/// <summary>Real loopback servers for tests: WireMock bound to 127.0.0.1 on a free port.</summary>
internal static class Upstream
{
    public static WireMockServer StartWireMock() =>
        WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"], StartAdminInterface = false });

    /// <summary>A port nothing listens on: connections to it are refused at once.</summary>
    public static string RefusingUrl() => $"http://127.0.0.1:{FreePort()}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
