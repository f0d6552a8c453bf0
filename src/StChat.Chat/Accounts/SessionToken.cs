using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace StChat.Chat.Accounts;

// Session tokens: 256 random bits, base64url, opaque to clients. PostgreSQL holds only their SHA-256, so a leaked
// account_session table lets nobody sign in. A fast hash is enough here (unlike for passwords): the input is random,
// there is nothing to guess.
internal static class SessionToken
{
    // Longer input is not a token we issued; it is refused before hashing.
    public const int MaxLength = 64;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
