using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Accounts;

// Password hashing is ASP.NET Core Identity's PasswordHasher: PBKDF2 with HMAC-SHA512, a 128-bit salt per password,
// and Chat:PasswordIterations iterations (100,000 by default, Identity's own default; docs/BENCHMARKS.md has the
// login rate it allows). Hashes record their parameters, so raising the count rehashes each password at its next
// sign-in.
internal sealed class Passwords
{
    public const int MinLength = 8;
    public const int MaxLength = 256;

    private static readonly StoredAccount Nobody = new(0, "", "");

    private readonly PasswordHasher<StoredAccount> _hasher;

    // Verified against for unknown names, so that they take as long to refuse as a wrong password.
    private readonly string _decoy;

    public Passwords(IOptions<ChatOptions> options)
    {
        _hasher = new PasswordHasher<StoredAccount>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = options.Value.PasswordIterations,
        }));
        _decoy = _hasher.HashPassword(Nobody, Guid.NewGuid().ToString());
    }

    public static string? Problem(string? password) => password switch
    {
        null => "\"password\" is required",
        { Length: < MinLength } => $"a password is at least {MinLength} characters",
        { Length: > MaxLength } => $"a password is at most {MaxLength} characters",
        _ => null,
    };

    public string Hash(string password) => _hasher.HashPassword(Nobody, password);

    // Whether `password` is the account's, and a new hash when the stored one uses older parameters.
    public (bool Valid, string? Rehashed) Verify(StoredAccount? account, string password)
    {
        var result = _hasher.VerifyHashedPassword(Nobody, account?.PasswordHash ?? _decoy, password);
        if (account is null || result == PasswordVerificationResult.Failed)
        {
            return (false, null);
        }

        return (true, result == PasswordVerificationResult.SuccessRehashNeeded ? Hash(password) : null);
    }
}
