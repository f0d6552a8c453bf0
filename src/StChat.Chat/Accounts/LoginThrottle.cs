using System.Net;
using Microsoft.Extensions.Options;
using StChat.Chat.Security;

namespace StChat.Chat.Accounts;

// Failed sign-ins, counted per account name and per client address. Each allows a few failures, then every further
// one blocks that key for twice as long as the one before, up to a cap: short for an account (an attacker elsewhere
// must not lock its owner out for long), long for an address (one client cannot guess at speed). While a key is
// blocked, attempts are answered 429 without checking the password, so they cost no hashing either. In memory: each
// process counts on its own, and the table is bounded.
internal sealed class LoginThrottle(IOptions<ChatOptions> options, TimeProvider time)
{
    private const int MaxEntries = 100_000;

    private readonly ChatOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TokenBucket> _registrations = new(StringComparer.Ordinal);

    // How long the caller must wait before trying to sign in as `name` from `address`; zero when it may try now.
    public TimeSpan RetryAfter(string name, IPAddress? address)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var wait = TimeSpan.Zero;
            foreach (var key in Keys(name, address))
            {
                if (_entries.TryGetValue(key, out var entry) && entry.BlockedUntil - now > wait)
                {
                    wait = entry.BlockedUntil - now;
                }
            }

            return wait;
        }
    }

    public void Failed(string name, IPAddress? address)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.Count >= MaxEntries)
            {
                Prune(now);
            }

            Count(AccountKey(name), _options.LoginFailuresPerAccount, _options.LoginAccountBlockMax, now);
            if (address is not null)
            {
                Count(AddressKey(address), _options.LoginFailuresPerAddress, _options.LoginAddressBlockMax, now);
            }
        }
    }

    // Accounts created from one address: Chat:AccountsPerAddressPerHour, as a token bucket.
    public bool TryRegister(IPAddress? address)
    {
        if (address is null)
        {
            return true;
        }

        var now = time.GetUtcNow() - DateTimeOffset.UnixEpoch;
        var perHour = _options.AccountsPerAddressPerHour;
        lock (_gate)
        {
            if (_registrations.Count >= MaxEntries)
            {
                _registrations.Clear();
            }

            var key = AddressKey(address);
            if (!_registrations.TryGetValue(key, out var bucket))
            {
                _registrations[key] = bucket = new TokenBucket(perHour / 3600.0, perHour, now);
            }

            return bucket.TryTake(now);
        }
    }

    // A correct password clears the account's count: its owner is back.
    public void Succeeded(string name)
    {
        lock (_gate)
        {
            _entries.Remove(AccountKey(name));
        }
    }

    private void Count(string key, int free, TimeSpan cap, DateTimeOffset now)
    {
        var failures = _entries.TryGetValue(key, out var entry) && now - entry.LastFailure < _options.LoginFailureWindow ? entry.Failures + 1 : 1;
        var blockedUntil = now;
        if (failures > free)
        {
            var seconds = Math.Min(Math.Pow(2, Math.Min(failures - free - 1, 30)), cap.TotalSeconds);
            blockedUntil = now + TimeSpan.FromSeconds(seconds);
        }

        _entries[key] = new Entry(failures, now, blockedUntil);
    }

    // Entries whose window has passed count for nothing; if the table is still full, the oldest half goes.
    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries.Where(e => now - e.Value.LastFailure >= _options.LoginFailureWindow && e.Value.BlockedUntil <= now).ToList())
        {
            _entries.Remove(key);
        }

        if (_entries.Count >= MaxEntries)
        {
            foreach (var key in _entries.OrderBy(e => e.Value.LastFailure).Take(_entries.Count / 2).Select(e => e.Key).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    private static IEnumerable<string> Keys(string name, IPAddress? address) =>
        address is null ? [AccountKey(name)] : [AccountKey(name), AddressKey(address)];

    private static string AccountKey(string name) => "account:" + AccountName.Key(name);

    private static string AddressKey(IPAddress address) => "address:" + ClientAddress.Key(address);

    private sealed record Entry(int Failures, DateTimeOffset LastFailure, DateTimeOffset BlockedUntil);
}
