// The one API client every view shares: it holds the signed-in user and token (kept in sessionStorage).
import { Api } from "./api.js";

export const api = new Api();
