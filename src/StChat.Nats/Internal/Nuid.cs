using System.Security.Cryptography;

namespace StChat.Nats.Internal;

// Random identifiers for inboxes: 22 base-62 characters (about 131 bits), like the NUIDs of other NATS clients.
internal static class Nuid
{
    private const int Length = 22;
    private static readonly char[] Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".ToCharArray();

    public static string Next() => RandomNumberGenerator.GetString(Alphabet, Length);
}
