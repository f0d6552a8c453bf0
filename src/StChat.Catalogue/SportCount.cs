namespace StChat.Catalogue;

internal sealed record SportCount(string Sport, long Count);
