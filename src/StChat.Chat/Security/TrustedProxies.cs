using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace StChat.Chat.Security;

// Chat:TrustedProxies as ForwardedHeadersOptions. ASP.NET Core trusts loopback by default, and every peer when both of
// its lists are empty; so the defaults are dropped, and with no trusted proxy no header is read at all: every
// per-address limit then sees the TCP peer.
internal static class TrustedProxies
{
    public static void Apply(ForwardedHeadersOptions forwarded, IReadOnlyList<string> proxies)
    {
        forwarded.ForwardedHeaders = proxies.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        // One hop: the address the trusted proxy appended, never one the client wrote into the header itself.
        forwarded.ForwardLimit = 1;
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        // Still consulted besides KnownIPNetworks, and loopback by default too.
#pragma warning disable ASPDEPR005
        forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
        foreach (var entry in proxies)
        {
            var value = entry.Trim();
            if (value.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(value, out var network))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(value, out var address))
            {
                forwarded.KnownProxies.Add(address);
            }
        }
    }

    public static IEnumerable<string> Problems(IReadOnlyList<string> proxies) =>
        proxies.Where(p => !(p.Contains('/', StringComparison.Ordinal) ? System.Net.IPNetwork.TryParse(p.Trim(), out _) : IPAddress.TryParse(p.Trim(), out _)))
            .Select(p => $"Chat:TrustedProxies entries must be IP addresses (10.0.0.5) or networks (10.0.0.0/24); got '{p}'.");
}
