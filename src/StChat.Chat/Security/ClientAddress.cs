using System.Net;
using System.Net.Sockets;

namespace StChat.Chat.Security;

// The client that a per-address limit counts: an IPv4 address (also when it comes mapped into IPv6), or the /64
// network of an IPv6 address. An IPv6 subscriber is given at least a /64 of its own, so counting single IPv6 addresses
// would let one client take a fresh address for every connection, sign-up or guess.
internal static class ClientAddress
{
    private const int IPv6ClientPrefixLength = 64;

    public static string Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[(IPv6ClientPrefixLength / 8)..].Clear();
        return new IPNetwork(new IPAddress(bytes), IPv6ClientPrefixLength).ToString();
    }
}
