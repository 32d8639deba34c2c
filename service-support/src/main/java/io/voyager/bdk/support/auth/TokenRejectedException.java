package io.voyager.bdk.support.auth;

/**
 * Why a bearer token was not accepted. The message names what is wrong (a claim, the algorithm,
 * the size, the key source) and never contains the token.
 */
public final class TokenRejectedException extends Exception {

  /** Whose fault it is: the token's, or the verification keys' (the caller may retry later). */
  public enum Kind {
    /** Missing, malformed, badly signed, expired, wrong issuer or audience, …: UNAUTHENTICATED. */
    INVALID,
    /** The JWKS could not be had (unreachable, missing, unparseable): fail closed, UNAVAILABLE. */
    KEYS_UNAVAILABLE
  }

  private final Kind kind;

  public TokenRejectedException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  static TokenRejectedException invalid(String message) {
    return new TokenRejectedException(Kind.INVALID, message);
  }
}
